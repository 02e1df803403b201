"""Pages and REST endpoints, through Flask's test client and the real server."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from simulator.app import Simulator
from simulator.web import create_app


def test_healthz_reports_the_bound_ports(mailsim_server):
    health = mailsim_server.health()
    assert health["status"] == "ok"
    assert health["ports"]["http"] == mailsim_server.http_port
    assert isinstance(health["ports"]["smtp"], int) and health["ports"]["smtp"] > 0


@pytest.mark.parametrize("path", ["/", "/live"])
def test_pages_render_in_both_languages(web, path):
    en = web.get(path, headers={"Accept-Language": "en"})
    ru = web.get(path, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert en.status_code == ru.status_code == 200
    assert b'lang="en"' in en.data and b'lang="ru"' in ru.data


def test_language_cookie_beats_accept_language(web):
    resp = web.get("/lang/ru?next=/live")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/live")
    assert "lang=ru" in resp.headers["Set-Cookie"]
    page = web.get("/", headers={"Accept-Language": "en"})
    assert b'lang="ru"' in page.data


def test_language_switch_never_redirects_off_site(web):
    for target in ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]:
        resp = web.get("/lang/en", query_string={"next": target})
        assert resp.headers["Location"] in ("/", "http://localhost/")


def test_catalogue_has_the_lecture_codes_in_both_languages(web):
    cat = web.get("/api/catalogue").get_json()
    for code in ["211", "214", "220", "221", "250", "251", "354", "421", "450", "451", "452",
                 "500", "501", "502", "503", "504", "550", "551", "552", "553", "554"]:
        assert cat["codes"][code]["meaning"]["ru"] and cat["codes"][code]["meaning"]["en"]


def test_scenarios_and_presets_are_listed_in_the_asked_language(web):
    sc = web.get("/api/scenarios?lang=ru").get_json()
    pr = web.get("/api/presets?lang=ru").get_json()
    assert len(sc) >= 4 and len(pr) >= 9
    assert any(ch in sc[0]["title"] for ch in "абвгдеёжзийклмнопрстуфхцчшщыэюя".upper() +
               "абвгдеёжзийклмнопрстуфхцчшщыэюя")


def test_world_lists_its_addresses_and_never_a_password(web):
    world = web.get("/api/world").get_json()
    assert world["domain"] == "example.org"
    assert {u["address"] for u in world["users"]} >= {"alice@example.org", "bob@example.org"}
    assert {m["address"] for m in world["lists"]} == {"staff@example.org", "postmaster@example.org"}
    assert world["moved"][0]["address"] == "carol@example.org" and world["left"][0]["address"] == "dave@example.org"
    assert "password" not in json.dumps(world)


def test_fault_plan_put_get_delete(web):
    plan = {"seed": 7, "rules": [{"stage": "RCPT", "match": "*@example.net", "reply": 550}]}
    resp = web.put("/api/faults", json=plan)
    assert resp.status_code == 200
    got = web.get("/api/faults").get_json()
    assert got["seed"] == 7 and got["rules"][0]["stage"] == "RCPT"
    assert web.delete("/api/faults").status_code == 200
    assert web.get("/api/faults").get_json()["rules"] == []


@pytest.mark.parametrize("body", [
    {"rules": [{"stage": "NOPE", "reply": 250}]},
    {"rules": [{"stage": "RCPT", "reply": "abc"}]},
    {"rules": [{"stage": "RCPT", "reply": 550, "text": "bad\r\ntext"}]},
    {"rules": "x"},
    [1, 2],
])
def test_bad_fault_plan_gets_400_and_keeps_the_old_one(web, body):
    web.put("/api/faults", json={"seed": 3, "rules": [{"stage": "HELO", "reply": 421}]})
    resp = web.put("/api/faults", json=body)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["code"] == "bad_faults" and err["message"]
    assert web.get("/api/faults").get_json()["rules"][0]["stage"] == "HELO"


def test_non_json_body_gets_400(web):
    resp = web.put("/api/faults", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_teacher_key_is_needed_when_not_on_loopback(tmp_path):
    sim = Simulator(data_dir=tmp_path, teacher_key="s3cret", host="0.0.0.0")
    web = create_app({"TESTING": True}, simulator=sim).test_client()
    plan = {"rules": [{"stage": "HELO", "reply": 421}]}
    assert web.put("/api/faults", json=plan).status_code == 401
    assert web.put("/api/faults", json=plan, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert web.delete("/api/faults").status_code == 401
    assert web.put("/api/faults", json=plan, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert web.get("/api/faults").status_code == 200  # reading needs no key


def test_static_assets_are_served_locally(mailsim_server):
    for path in ["/static/vendor/socket.io/socket.io.esm.min.js", "/static/js/components/sessionview.js",
                 "/static/css/app.css"]:
        with urllib.request.urlopen(mailsim_server.url + path, timeout=5) as resp:
            assert resp.status == 200


def test_pages_load_nothing_from_the_internet(web):
    for path in ["/", "/live"]:
        html = web.get(path).data.decode()
        assert "http://" not in html.replace("http://localhost", "") or "src=\"http" not in html
        assert "src=\"https://" not in html and "href=\"https://" not in html


def test_each_catalogue_names_the_stages_a_fault_rule_may_use(web):
    for protocol, present, absent in (("smtp", "RCPT", "STARTTLS"), ("pop3", "RETR", "STARTTLS"),
                                      ("imap", "UID FETCH", "STARTTLS")):
        data = web.get(f"/api/catalogue?protocol={protocol}").get_json()
        assert present in data["stages"] and absent not in data["stages"] and "greeting" not in data["stages"]


def test_the_lab_shares_links_at_the_public_address_and_says_when_only_this_machine_can_open_them(tmp_path):
    local = create_app({"TESTING": True}, simulator=Simulator(data_dir=tmp_path / "a")).test_client()
    page = local.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-public-url="http://localhost"' in page and 'id="share-local"' in page
    sim = Simulator(data_dir=tmp_path / "b", host="0.0.0.0")
    sim.public_url = "https://mail.school.example"  # mailsim serve --public-url
    public = create_app({"TESTING": True}, simulator=sim).test_client()
    page = public.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'data-public-url="https://mail.school.example"' in page and 'id="share-local"' not in page
