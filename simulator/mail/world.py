"""The simulated mail world: the local domain, its users, lists and departed users.

Every engine asks the world who an address belongs to: SMTP to accept or
refuse a recipient and to answer VRFY/EXPN, the mail store to expand a list,
POP3/IMAP to check a password. The world is read from a JSON file
(``simulator/data/world.json`` by default) and never changes while running.

An address falls into one of these kinds (:attr:`Lookup.kind`):

``local``    a user with a mailbox here (RCPT 250)
``list``     a mailing list / alias that expands to members (RCPT 250, EXPN)
``moved``    a user who moved and whose mail we forward (RCPT 251)
``left``     a user who left; we only say where to try (RCPT 551)
``unknown``  our domain, but nobody by that name (RCPT 550)
``remote``   another domain: this server is not a relay (RCPT 550)
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from simulator import paths
from simulator.validate import Checker

KINDS = ("local", "list", "moved", "left", "unknown", "remote")

# A name inside the world file: a simple dot-atom, lower case.
_NAME = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


class WorldError(ValueError):
    """A world file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class User:
    """A local user: ``login`` is the mailbox name (the local part)."""

    login: str
    password: str
    name: str


@dataclass(frozen=True)
class MailingList:
    """A list (alias): ``members`` are full addresses, local or not."""

    login: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Departed:
    """A user who is no longer here; ``forward`` is the new address."""

    login: str
    name: str
    forward: str


@dataclass(frozen=True)
class Lookup:
    """What the world knows about one address.

    ``address`` is the canonical form (``local@domain``, lower case). ``user``
    is the mailbox login for ``local``; ``members`` the list's addresses for
    ``list``; ``forward`` the new address for ``moved`` and ``left``; ``name``
    a human-readable name where there is one.
    """

    kind: str
    address: str
    local: str
    domain: str
    name: Optional[str] = None
    user: Optional[str] = None
    members: tuple[str, ...] = ()
    forward: Optional[str] = None

    @property
    def is_ours(self) -> bool:
        """True when the address is in the local domain (whatever its kind)."""
        return self.kind != "remote"


@dataclass(frozen=True)
class World:
    """The local mail domain and who lives in it."""

    domain: str
    hostname: str
    users: dict[str, User] = field(default_factory=dict)
    lists: dict[str, MailingList] = field(default_factory=dict)
    moved: dict[str, Departed] = field(default_factory=dict)
    left: dict[str, Departed] = field(default_factory=dict)

    # -- loading -----------------------------------------------------------------
    @classmethod
    def load(cls, path: Union[str, Path, None] = None) -> "World":
        """Read a world file; by default the one packaged with MailSim."""
        if path is None:
            source, text = "simulator/data/world.json", (paths.DATA / "world.json").read_text(encoding="utf-8")
        else:
            source = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise WorldError(f"{source}: cannot read: {exc.strerror or exc}") from exc
            except UnicodeDecodeError as exc:
                raise WorldError(f"{source}: not UTF-8 text ({exc.reason})") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorldError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<world>") -> "World":
        """Build a world from parsed JSON, raising :class:`WorldError` on any problem."""
        return _Validator(source).world(data)

    # -- questions ---------------------------------------------------------------
    def local_domain(self, domain: str) -> bool:
        """True for the mail domain and for the server's own host name."""
        return domain.lower().rstrip(".") in (self.domain, self.hostname)

    def address(self, login: str) -> str:
        """The full address of a local name."""
        return f"{login}@{self.domain}"

    def lookup(self, address: str) -> Lookup:
        """Classify an address (``user@domain``, or a bare local name meaning ours)."""
        local, sep, domain = address.strip().rpartition("@")
        if not sep:
            local, domain = domain, self.domain
        domain = domain.lower().rstrip(".")
        if not self.local_domain(domain):
            return Lookup("remote", f"{local}@{domain}", local, domain)
        name = local.lower()
        full = self.address(name)
        if name in self.users:
            user = self.users[name]
            return Lookup("local", full, name, self.domain, name=user.name, user=name)
        if name in self.lists:
            lst = self.lists[name]
            return Lookup("list", full, name, self.domain, name=lst.name, members=lst.members)
        if name in self.moved:
            gone = self.moved[name]
            return Lookup("moved", full, name, self.domain, name=gone.name, forward=gone.forward)
        if name in self.left:
            gone = self.left[name]
            return Lookup("left", full, name, self.domain, name=gone.name, forward=gone.forward)
        return Lookup("unknown", full, name, self.domain)

    def authenticate(self, login: str, password: str) -> bool:
        """True when ``login`` is a local user whose password is ``password``."""
        user = self.users.get(login.lower())
        return user is not None and user.password == password


class _Validator:
    """Checks a parsed world file and says where the problem is (``lists.staff.members[1]``)."""

    def __init__(self, source: str):
        self.source = source
        self.check = Checker.raising(self.fail)

    def fail(self, where: str, problem: str) -> WorldError:
        return WorldError(f"{self.source}: {where}: {problem}")

    def obj(self, value: Any, where: str) -> dict:
        return self.check.obj(value, where, message="expected an object")

    def text(self, value: Any, where: str, *, empty: bool = False) -> str:
        return self.check.text(value, where, empty=empty, message="expected a non-empty string")

    def only(self, value: dict, where: str, allowed: set[str]) -> None:
        # the first unknown field in alphabetical order, reported at the object
        self.check.only(sorted(value), where, sorted(allowed), at_key=False,
                        message="unknown field {key!r} (allowed: {allowed})")

    def name(self, value: str, where: str) -> str:
        return self.check.pattern(value, where, _NAME, message="{value!r} is not a valid lower-case mailbox name")

    def domain(self, value: Any, where: str) -> str:
        return self.check.pattern(self.text(value, where), where, _DOMAIN,
                                  message="{value!r} is not a lower-case domain name like example.org")

    def world(self, data: Any) -> World:
        data = self.obj(data, "top level")
        self.only(data, "top level", {"domain", "hostname", "users", "lists", "moved", "left"})
        self.check.required(data, "top level", ("domain", "hostname", "users"))
        domain = self.domain(data["domain"], "domain")
        hostname = self.domain(data["hostname"], "hostname")
        seen: dict[str, str] = {}

        def claim(login: str, where: str) -> str:
            self.name(login, where)
            if login in seen:
                raise self.fail(where, f"{login!r} is already defined in {seen[login]}")
            seen[login] = where
            return login

        users = {}
        for login, spec in self.obj(data["users"], "users").items():
            where = f"users.{login}"
            claim(login, where)
            spec = self.obj(spec, where)
            self.only(spec, where, {"password", "name"})
            users[login] = User(login, self.text(spec.get("password"), f"{where}.password"),
                                self.text(spec.get("name", login), f"{where}.name"))
        if not users:
            raise self.fail("users", "at least one user is needed")

        departed: dict[str, dict[str, Departed]] = {"moved": {}, "left": {}}
        for section in ("moved", "left"):
            for login, spec in self.obj(data.get(section, {}), section).items():
                where = f"{section}.{login}"
                claim(login, where)
                spec = self.obj(spec, where)
                self.only(spec, where, {"name", "forward"})
                forward = self.text(spec.get("forward"), f"{where}.forward")
                fdomain = forward.rpartition("@")[2]
                if "@" not in forward or fdomain in (domain, hostname):
                    raise self.fail(f"{where}.forward", f"{forward!r} must be an address in another domain")
                self.domain(fdomain, f"{where}.forward")
                departed[section][login] = Departed(login, self.text(spec.get("name", login), f"{where}.name"), forward)

        raw_lists = self.obj(data.get("lists", {}), "lists")
        for login in raw_lists:
            claim(login, f"lists.{login}")
        lists = {}
        for login, spec in raw_lists.items():
            where = f"lists.{login}"
            spec = self.obj(spec, where)
            self.only(spec, where, {"name", "members"})
            members = self.check.list_of(spec.get("members"), f"{where}.members", lo=1,
                                         message="expected a non-empty list of names or addresses")
            full = []
            for i, member in enumerate(members):
                mwhere = f"{where}.members[{i}]"
                member = self.text(member, mwhere)
                if "@" in member:
                    self.domain(member.rpartition("@")[2], mwhere)
                    full.append(member.lower())
                elif member in users or member in raw_lists:
                    full.append(f"{member}@{domain}")
                else:
                    raise self.fail(mwhere, f"{member!r} is neither a user nor a list")
            lists[login] = MailingList(login, self.text(spec.get("name", login), f"{where}.name"), tuple(full))
        return World(domain, hostname, users, lists, departed["moved"], departed["left"])
