"""The simulated mail world: who lives at example.org, and bad world files."""
from __future__ import annotations

import json

import pytest

from simulator.mail.world import World, WorldError

WORLD = World.load()


def test_packaged_world():
    assert (WORLD.domain, WORLD.hostname) == ("example.org", "mx.example.org")
    assert WORLD.users["alice"].name == "Alice Liddell"
    assert WORLD.authenticate("alice", "alice") and WORLD.authenticate("bob", "bob")
    assert not WORLD.authenticate("alice", "bob") and not WORLD.authenticate("nobody", "x")


@pytest.mark.parametrize("address, kind", [
    ("alice@example.org", "local"), ("Alice@EXAMPLE.ORG", "local"), ("alice", "local"),
    ("bob@mx.example.org", "local"), ("staff@example.org", "list"), ("postmaster", "list"),
    ("carol@example.org", "moved"), ("dave@example.org", "left"), ("zed@example.org", "unknown"),
    ("alice@example.net", "remote"),
])
def test_lookup_kinds(address, kind):
    assert WORLD.lookup(address).kind == kind


def test_lookup_details():
    alice = WORLD.lookup("ALICE@example.org")
    assert (alice.address, alice.user, alice.name) == ("alice@example.org", "alice", "Alice Liddell")
    staff = WORLD.lookup("staff")
    assert staff.members == ("alice@example.org", "bob@example.org")
    assert WORLD.lookup("carol@example.org").forward == "carol@example.net"
    assert WORLD.lookup("dave@example.org").forward == "dave@example.com"
    assert not WORLD.lookup("x@elsewhere.example").is_ours


def test_local_domain():
    assert WORLD.local_domain("example.org") and WORLD.local_domain("EXAMPLE.ORG.")
    assert WORLD.local_domain("mx.example.org") and not WORLD.local_domain("example.com")


def good() -> dict:
    return {"domain": "example.org", "hostname": "mx.example.org",
            "users": {"alice": {"password": "a"}}, "lists": {"all": {"members": ["alice"]}}}


def write(tmp_path, data) -> str:
    path = tmp_path / "world.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_load_from_a_path(tmp_path):
    world = World.load(write(tmp_path, good()))
    assert world.lookup("all").kind == "list"


@pytest.mark.parametrize("change, where", [
    (lambda d: d.pop("domain"), "top level"),
    (lambda d: d.update(domain="Not A Domain"), "domain"),
    (lambda d: d.update(users={}), "users"),
    (lambda d: d["users"]["alice"].pop("password"), "users.alice.password"),
    (lambda d: d["users"].update({"Bad Name": {"password": "x"}}), "users.Bad Name"),
    (lambda d: d["lists"]["all"].update(members=["ghost"]), "lists.all.members[0]"),
    (lambda d: d["lists"].update(alice={"members": ["alice"]}), "lists.alice"),
    (lambda d: d.update(moved={"carl": {"forward": "carl@example.org"}}), "moved.carl.forward"),
    (lambda d: d.update(extra=1), "top level"),
])
def test_bad_world_file_names_the_file_and_the_problem(tmp_path, change, where):
    data = good()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(WorldError) as caught:
        World.load(path)
    assert str(caught.value).startswith(f"{path}: {where}")


def test_invalid_json_names_the_line(tmp_path):
    path = write(tmp_path, '{\n  "domain": "example.org",\n  oops\n}')
    with pytest.raises(WorldError, match=rf"^{path}:3:"):
        World.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(WorldError, match="cannot read"):
        World.load(tmp_path / "none.json")
