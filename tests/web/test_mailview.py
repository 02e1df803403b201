"""The mailbox viewer's page and JSON API (simulator/web/mailview.py), through Flask's test client."""
from __future__ import annotations

import base64
import email
import email.policy
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from conftest import TEACHER_KEY as KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.app import Simulator
from simulator.protocols.base import Delivery
from simulator.web import LEARNER_COOKIE, create_app

SAMPLES = Path(__file__).resolve().parents[2] / "simulator" / "data" / "messages"


@pytest.fixture
def web(app):
    client = app.test_client()
    client.get("/mail")  # the page gives the learner their cookie, as in a browser
    return client


def learner_of(client) -> str:
    return client.get_cookie(LEARNER_COOKIE).value


def mine(sim, client):
    return sim.learner_mailboxes(learner_of(client))


def deliver(mailboxes, content: bytes, to: str = "bob@example.org") -> None:
    mailboxes.deliver(Delivery("alice@example.org", (to,), content))


def uid_of(client, user: str, folder: str, subject: str, realm: str = "mine") -> int:
    listing = client.get(f"/api/mail/{user}/messages", query_string={"folder": folder, "realm": realm}).get_json()
    return next(m["uid"] for m in listing["messages"] if m["subject"] == subject)


def sample_part(name: str, index: int) -> email.message.Message:
    """Part ``index`` (1-based) of a sample, parsed by the standard library, independently of the viewer."""
    msg = email.message_from_bytes((SAMPLES / name).read_bytes(), policy=email.policy.compat32)
    return msg.get_payload()[index - 1]


def error_of(resp) -> dict:
    body = resp.get_json()
    assert set(body) == {"ok", "error"} and body["ok"] is False and set(body["error"]) == {"code", "message"}, body
    return body["error"]


# ---------------------------------------------------------------- the page

def test_the_page_renders_in_both_languages_with_the_nav_link_and_a_strict_csp(web):
    en = web.get("/mail", headers={"Accept-Language": "en"})
    ru = web.get("/mail", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert en.status_code == ru.status_code == 200
    assert b'lang="en"' in en.data and b'lang="ru"' in ru.data
    assert 'aria-current="page">Mail</a>' in en.get_data(as_text=True)
    assert "Почта</a>" in ru.get_data(as_text=True)
    csp = en.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "img-src 'self' data:" in csp and "frame-src 'self'" in csp
    assert "unsafe-eval" not in csp and "http:" not in csp


def test_other_pages_link_to_the_viewer(web):
    assert b'href="/mail"' in web.get("/").data


# ---------------------------------------------------------------- overview and listing

def test_the_overview_lists_every_user_with_their_folders(web):
    data = web.get("/api/mail").get_json()
    assert data["realm"] == "mine"
    users = {u["login"]: u for u in data["users"]}
    assert set(users) == {"alice", "bob"}
    assert users["bob"]["address"] == "bob@example.org" and users["bob"]["name"] == "Bob Smith"
    bob = {f["name"]: f for f in users["bob"]["folders"]}
    assert list(bob) == ["INBOX", "Archive", "Work", "Work/Invoices"]
    assert bob["INBOX"]["exists"] == 8 and bob["INBOX"]["unseen"] == 5
    assert bob["Work/Invoices"]["exists"] == 1 and bob["Work/Invoices"]["unseen"] == 0
    for folder in bob.values():
        assert set(folder) >= {"name", "exists", "unseen", "uidvalidity", "uidnext"}
        assert folder["uidvalidity"] > 0 and folder["uidnext"] == folder["exists"] + 1


def test_a_folder_lists_its_messages_newest_first_with_decoded_fields(web):
    data = web.get("/api/mail/bob/messages", query_string={"folder": "INBOX"}).get_json()
    messages = data["messages"]
    assert data["total"] == len(messages) == 8 and data["truncated"] is False
    dates = [m["internal_date"] for m in messages]
    assert dates == sorted(dates, reverse=True)
    russian = next(m for m in messages if "irina" in m["from"])
    assert russian["subject"] == "Счёт за хостинг и встреча в четверг"
    assert russian["from"] == "Ирина Петрова <irina@example.net>"
    assert russian["to"] == "Bob Smith <bob@example.org>"
    assert russian["date"] == "Wed, 02 Sep 2026 16:47:30 +0300"
    assert russian["flags"] == ["\\Flagged"]
    assert set(russian) == {"uid", "flags", "internal_date", "size", "subject", "from", "to", "date"}


def test_folder_names_are_case_insensitive_only_for_inbox_and_nested_names_work(web):
    assert web.get("/api/mail/bob/messages", query_string={"folder": "inbox"}).get_json()["folder"]["name"] == "INBOX"
    invoices = web.get("/api/mail/bob/messages", query_string={"folder": "Work/Invoices"}).get_json()
    assert [m["subject"] for m in invoices["messages"]] == ["Invoice 2026-117"]
    assert web.get("/api/mail/bob/messages", query_string={"folder": "work/invoices"}).status_code == 404


def test_the_listing_limit_keeps_the_newest(web):
    data = web.get("/api/mail/bob/messages", query_string={"limit": "3"}).get_json()
    assert len(data["messages"]) == 3 and data["total"] == 8 and data["truncated"] is True
    full = web.get("/api/mail/bob/messages").get_json()["messages"]
    assert [m["uid"] for m in data["messages"]] == [m["uid"] for m in full[:3]]
    for bad in ["0", "-1", "abc", "100000"]:
        assert error_of(web.get("/api/mail/bob/messages", query_string={"limit": bad}))["code"] == "bad_limit"


# ---------------------------------------------------------------- one message

def test_a_message_has_flags_its_mime_description_and_its_source(web):
    uid = uid_of(web, "bob", "Work/Invoices", "Invoice 2026-117")
    resp = web.get(f"/api/mail/bob/message/{uid}", query_string={"folder": "Work/Invoices"})
    data = resp.get_json()
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert data["flags"] == ["\\Seen"] and data["uid"] == uid and data["folder"] == "Work/Invoices"
    tree = data["description"]["tree"]
    assert tree["content_type"] == "multipart/mixed"
    assert [c["content_type"] for c in tree["children"]] == ["text/plain", "application/pdf"]
    pdf = tree["children"][1]
    assert pdf["filename"] == "invoice-2026-117.pdf" and pdf["transfer_encoding"] == "base64"
    assert pdf["is_attachment"] is True and pdf["decoded_size"] == 720
    raw = (SAMPLES / "06-invoice.eml").read_bytes()
    assert data["source"] == raw.decode("ascii") and data["source_truncated"] is False
    assert data["size"] == len(raw) and data["summary"]["subject"] == "Invoice 2026-117"
    assert data["problem_texts"] == {}


def test_headers_come_raw_and_decoded(web):
    uid = uid_of(web, "bob", "INBOX", "Счёт за хостинг и встреча в четверг")
    data = web.get(f"/api/mail/bob/message/{uid}").get_json()
    subject = next(h for h in data["description"]["headers"] if h["name"] == "Subject")
    assert subject["raw"].startswith("=?UTF-8?B?")
    assert subject["decoded"] == "Счёт за хостинг и встреча в четверг"
    body = data["description"]["tree"]
    assert body["transfer_encoding"] == "quoted-printable" and body["text"].startswith("Здравствуйте, Боб!")


def test_problems_are_explained_in_the_request_language(web, sim):
    deliver(mine(sim, web), b"Subject: broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n")
    uid = uid_of(web, "bob", "INBOX", "broken")
    en = web.get(f"/api/mail/bob/message/{uid}", headers={"Accept-Language": "en"}).get_json()
    ru = web.get(f"/api/mail/bob/message/{uid}", headers={"Accept-Language": "ru"}).get_json()
    assert {"missing_boundary", "missing_date", "missing_from"} <= set(en["problem_texts"])
    assert "boundary" in en["problem_texts"]["missing_boundary"]
    assert re.search("[А-Яа-я]", ru["problem_texts"]["missing_boundary"])


def test_the_source_is_cut_at_one_mebibyte(web, sim):
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 1600
    deliver(mine(sim, web), big)
    uid = uid_of(web, "bob", "INBOX", "big")
    data = web.get(f"/api/mail/bob/message/{uid}").get_json()
    assert data["source_truncated"] is True and len(data["source"]) == 1 << 20
    assert data["size"] == len(big)
    raw = web.get(f"/api/mail/bob/message/{uid}/raw")
    assert raw.data == big  # the download is whole


def test_viewing_does_not_mark_a_message_seen(web):
    uid = uid_of(web, "bob", "INBOX", "Agenda for Thursday's project meeting")
    web.get(f"/api/mail/bob/message/{uid}")
    web.get(f"/api/mail/bob/message/{uid}/raw")
    after = web.get("/api/mail/bob/messages").get_json()["messages"]
    assert next(m for m in after if m["uid"] == uid)["flags"] == []


# ---------------------------------------------------------------- downloads

def test_raw_is_text_to_read_or_an_eml_attachment(web):
    uid = uid_of(web, "bob", "INBOX", "Счёт за хостинг и встреча в четверг")
    raw = (SAMPLES / "04-russian.eml").read_bytes()
    text = web.get(f"/api/mail/bob/message/{uid}/raw")
    assert text.data == raw and text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in text.headers["Content-Security-Policy"]
    eml = web.get(f"/api/mail/bob/message/{uid}/raw", query_string={"download": "1"})
    assert eml.data == raw and eml.headers["Content-Type"] == "message/rfc822"
    assert eml.headers["Content-Disposition"].startswith("attachment;")
    assert f'filename="bob-INBOX-{uid}.eml"' in eml.headers["Content-Disposition"]


@pytest.mark.parametrize("sample,folder,subject,index,filename,content_type", [
    ("03-attachment.eml", "INBOX", "The icon you asked for", 2, "envelope-8x8.png", "image/png"),
    ("06-invoice.eml", "Work/Invoices", "Invoice 2026-117", 2, "invoice-2026-117.pdf", "application/pdf"),
])
def test_an_attachment_downloads_byte_identical_to_its_decoded_payload(web, sample, folder, subject, index,
                                                                        filename, content_type):
    uid = uid_of(web, "bob", folder, subject)
    resp = web.get(f"/api/mail/bob/message/{uid}/part/{index}", query_string={"folder": folder})
    part = sample_part(sample, index)
    assert resp.status_code == 200
    assert resp.data == part.get_payload(decode=True) == base64.b64decode(part.get_payload())
    assert resp.headers["Content-Type"] == content_type
    assert resp.headers["Content-Disposition"] == f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_html_part_is_an_attachment_never_html(web):
    uid = uid_of(web, "bob", "INBOX", "Weekly notes: new help desk hours")
    resp = web.get(f"/api/mail/bob/message/{uid}/part/2")
    assert resp.status_code == 200
    assert resp.data == sample_part("02-alternative.eml", 2).get_payload(decode=True)
    assert b"<html" in resp.data
    assert "html" not in resp.headers["Content-Type"] and resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="part-2.html"')
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]


def test_parts_of_nested_and_single_part_messages(web):
    fwd = uid_of(web, "bob", "INBOX", "Fwd: Room booking for the workshop")
    inner = web.get(f"/api/mail/bob/message/{fwd}/part/2")
    assert inner.headers["Content-Type"] == "message/rfc822" and b"Subject:" in inner.data
    assert web.get(f"/api/mail/bob/message/{fwd}/part/2.1").data.startswith(b"Hi Alice")
    russian = uid_of(web, "bob", "INBOX", "Счёт за хостинг и встреча в четверг")
    body = web.get(f"/api/mail/bob/message/{russian}/part/1")
    assert body.data.decode("utf-8").startswith("Здравствуйте, Боб!")  # quoted-printable undone
    assert body.headers["Content-Disposition"].startswith('attachment; filename="part-1.txt"')


def test_hostile_file_names_are_only_names(web, sim):
    evil = ("=?UTF-8?B?" + base64.b64encode("..\\..\\Счёт\u202egnp.exe".encode()).decode() + "?=")
    content = ("Subject: names\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: application/octet-stream\r\n"
               "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nx\r\n"
               f"--b\r\nContent-Type: text/plain; name=\"{evil}\"\r\nContent-Disposition: attachment\r\n\r\ny\r\n"
               "--b\r\nContent-Type: image/svg+xml\r\nContent-Disposition: attachment; filename=\"  ..  \"\r\n\r\n"
               "<svg onload=alert(1)/>\r\n"
               "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"CON.txt\"\r\n\r\nz\r\n"
               "--b--\r\n").encode()
    deliver(mine(sim, web), content)
    uid = uid_of(web, "bob", "INBOX", "names")
    seen = {}
    for path in ["1", "2", "3", "4"]:
        resp = web.get(f"/api/mail/bob/message/{uid}/part/{path}")
        assert resp.status_code == 200
        disposition = resp.headers["Content-Disposition"]
        ascii_name = re.fullmatch(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)', disposition)
        assert ascii_name, disposition
        utf8_name = unquote(ascii_name.group(2))
        for name in (ascii_name.group(1), utf8_name):
            assert "/" not in name and "\\" not in name and not name.startswith(".") and "\u202e" not in name
        seen[path] = utf8_name
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert seen["1"] == "passwd"
    assert seen["2"] == "Счётgnp.exe"
    assert seen["3"] == "part-3.svg" and web.get(f"/api/mail/bob/message/{uid}/part/3").headers[
        "Content-Type"] == "application/octet-stream"
    assert seen["4"] == "part-4.txt"


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("url,status,code", [
    ("/api/mail/nobody/messages", 404, "unknown_user"),
    ("/api/mail/carol/messages", 404, "unknown_user"),  # moved away: no mailbox here
    ("/api/mail/bob/messages?folder=Nope", 404, "unknown_folder"),
    ("/api/mail/bob/messages?folder=Work/", 400, "bad_folder"),
    ("/api/mail/bob/messages?folder=" + "x" * 201, 400, "bad_folder"),
    ("/api/mail/bob/messages?folder=IN%00BOX", 400, "bad_folder"),
    ("/api/mail/bob/messages?folder=", 400, "bad_folder"),
    ("/api/mail/bob/message/999", 404, "unknown_message"),
    ("/api/mail/bob/message/1?folder=Nope", 404, "unknown_folder"),
    ("/api/mail/bob/message/0", 400, "bad_uid"),
    ("/api/mail/bob/message/-1", 400, "bad_uid"),
    ("/api/mail/bob/message/1e3", 400, "bad_uid"),
    ("/api/mail/bob/message/4294967296", 400, "bad_uid"),
    ("/api/mail/bob/message/99999999999999999999999999", 400, "bad_uid"),
    ("/api/mail/bob/message/1%00", 400, "bad_uid"),
    ("/api/mail/bob/message/4294967295", 404, "unknown_message"),
    ("/api/mail/b%00b/messages", 400, "bad_user"),
    ("/api/mail/%2e%2e/messages", 400, "bad_user"),
    ("/api/mail/bob/message/1/part/9", 404, "unknown_part"),
    ("/api/mail/bob/message/1/part/0", 400, "bad_part"),
    ("/api/mail/bob/message/1/part/1..2", 400, "bad_part"),
    ("/api/mail/bob/message/1/part/../../raw", 400, "bad_part"),
    ("/api/mail/bob/message/1/part/1%00", 400, "bad_part"),
    ("/api/mail/bob/message/1/part/" + ".1" * 100, 400, "bad_part"),
    ("/api/mail/bob/message/999/part/1", 404, "unknown_message"),
    ("/api/mail/bob/message/999/raw", 404, "unknown_message"),
    ("/api/mail/bob/messages?realm=admin", 400, "bad_realm"),
    ("/api/mail?realm=", 200, None),
    ("/api/mail/../../etc/passwd", 404, "not_found"),
    ("/api/mail/bob", 404, "not_found"),
    ("/api/mail/bob/message/1/part/", 404, "not_found"),
])
def test_bad_input_is_400_and_unknown_things_are_404_in_json(web, url, status, code):
    resp = web.get(url)
    assert resp.status_code == status, resp.data[:300]
    if code:
        assert error_of(resp)["code"] == code
        assert resp.headers["Content-Type"] == "application/json"


def test_errors_speak_the_request_language(web):
    en = error_of(web.get("/api/mail/nobody/messages", headers={"Accept-Language": "en"}))
    ru = error_of(web.get("/api/mail/nobody/messages", headers={"Accept-Language": "ru"}))
    assert en["message"] == 'There is no user called "nobody".'
    assert ru["message"] == "Пользователя «nobody» нет."


def test_a_wrong_method_is_405_in_json(web):
    assert error_of(web.get("/api/mail/reset"))["code"] == "method_not_allowed"
    assert web.get("/api/mail/reset").status_code == 405
    assert web.post("/api/mail/bob/messages", json={}).status_code == 405
    assert web.delete("/api/mail/bob/message/1").status_code == 405
    assert web.get("/api/mail/reset").headers["Allow"] == "OPTIONS, POST"


def test_other_pages_keep_their_own_not_found_page(web):
    resp = web.get("/no-such-page")
    assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("text/html")


def test_a_line_break_in_the_path_is_a_json_404(web):
    resp = web.get("/api/mail/bob/message/1/part/1%0A")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=st.text(max_size=20), folder=st.text(max_size=30), uid=st.text(max_size=12), part=st.text(max_size=12))
def test_random_input_never_makes_a_server_error(web, user, folder, uid, part):
    segment = quote(user, safe="") or "x"
    for url in [f"/api/mail/{segment}/messages", f"/api/mail/{segment}/message/{quote(uid, safe='') or '1'}",
                f"/api/mail/bob/message/{quote(uid, safe='') or '1'}/part/{quote(part, safe='/') or '1'}"]:
        resp = web.get(url, query_string={"folder": folder})
        # 308: werkzeug merges the slashes of a decoded %2F; a redirect, never an error
        assert resp.status_code in (200, 308, 400, 404, 405), (url, folder, resp.status_code)
        if resp.status_code >= 400:
            assert error_of(resp)["code"]


# ---------------------------------------------------------------- reset

def test_reset_restores_the_default_world_after_a_delivery(web, sim):
    before = web.get("/api/mail").get_json()
    deliver(mine(sim, web), b"Subject: extra\r\n\r\nhello\r\n")
    web.post("/api/mail/reset", json={})  # an earlier reset does not matter
    deliver(mine(sim, web), b"Subject: extra again\r\n\r\nhello\r\n")
    inbox = web.get("/api/mail/bob/messages").get_json()
    assert inbox["total"] == 9 and inbox["messages"][0]["subject"] == "extra again"

    resp = web.post("/api/mail/reset", json={})
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    after = web.get("/api/mail").get_json()
    assert resp.get_json()["users"] == after["users"]

    def counts(overview):
        return {(u["login"], f["name"]): (f["exists"], f["unseen"]) for u in overview["users"] for f in u["folders"]}
    assert counts(after) == counts(before)
    subjects = [m["subject"] for m in web.get("/api/mail/bob/messages").get_json()["messages"]]
    assert "extra again" not in subjects and len(subjects) == 8


def test_reset_leaves_the_real_ports_mail_and_other_learners_alone(web, sim):
    before = sim.store.server.count("bob")  # the real ports start with the sample mail too
    deliver(sim.store.server, b"Subject: on the real port\r\n\r\nhi\r\n")
    other = sim.learner_mailboxes("someone-else-0123456789")
    deliver(other, b"Subject: theirs\r\n\r\nhi\r\n")
    web.post("/api/mail/reset", json={})
    assert sim.store.server.count("bob") == before + 1
    assert other.count("bob") == 9


@pytest.mark.parametrize("kwargs,status,code", [
    ({}, 400, "not_json"),
    ({"data": {"a": "1"}}, 400, "not_json"),  # a cross-site <form> can send only this kind...
    ({"data": "{}", "content_type": "text/plain"}, 400, "not_json"),  # ...or this
    ({"data": "[]", "content_type": "application/json"}, 400, "not_json"),
    ({"json": {}, "headers": {"Origin": "https://evil.example"}}, 403, "cross_site"),
    ({"json": {}, "headers": {"Origin": "null"}}, 403, "cross_site"),
])
def test_reset_takes_only_a_json_request_from_this_site(web, sim, kwargs, status, code):
    deliver(mine(sim, web), b"Subject: keep me\r\n\r\nhi\r\n")
    resp = web.post("/api/mail/reset", **kwargs)
    assert resp.status_code == status and error_of(resp)["code"] == code
    assert mine(sim, web).count("bob") == 9  # nothing was reset


def test_reset_from_the_same_origin_is_taken(web):
    resp = web.post("/api/mail/reset", json={}, headers={"Origin": "http://localhost"})
    assert resp.status_code == 200


# ---------------------------------------------------------------- realms and the teacher key

def test_my_mail_and_the_real_ports_mail_are_apart(web, sim):
    deliver(sim.store.server, b"Subject: via SMTP port\r\n\r\nhi\r\n")
    server = web.get("/api/mail/bob/messages", query_string={"realm": "server"}).get_json()
    assert "via SMTP port" in [m["subject"] for m in server["messages"]]
    mine_list = web.get("/api/mail/bob/messages").get_json()
    assert "via SMTP port" not in [m["subject"] for m in mine_list["messages"]]
    uid = uid_of(web, "bob", "INBOX", "via SMTP port", realm="server")
    assert web.get(f"/api/mail/bob/message/{uid}/raw", query_string={"realm": "server"}).data.startswith(b"Subject: via")


def test_callers_without_a_cookie_share_one_pristine_world(sim):
    client = create_app({"TESTING": True}, simulator=sim).test_client(use_cookies=False)
    before = set(sim.store.realms())
    for _ in range(5):
        assert client.get("/api/mail/bob/messages").get_json()["total"] == 8
    assert set(sim.store.realms()) - before <= {"viewer:default"}


def test_off_loopback_the_real_ports_mail_needs_the_teacher_key(tmp_path):
    sim = Simulator(data_dir=tmp_path, teacher_key=KEY, host="0.0.0.0")
    deliver(sim.store.server, b"Subject: secret\r\n\r\nhi\r\n")
    client = create_app({"TESTING": True}, simulator=sim).test_client()
    urls = ["/api/mail", "/api/mail/bob/messages", "/api/mail/bob/message/1", "/api/mail/bob/message/1/raw",
            "/api/mail/bob/message/1/part/1"]
    for url in urls:
        assert client.get(url, query_string={"realm": "server"}).status_code == 401
        wrong = client.get(url, query_string={"realm": "server"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and error_of(wrong)["code"] == "unauthorized"
        right = client.get(url, query_string={"realm": "server"}, headers={"Authorization": f"Bearer {KEY}"})
        assert right.status_code == 200, url
        assert client.get(url).status_code == 200  # the learner's own mail needs no key
    ru = client.get("/api/mail?realm=server", headers={"Accept-Language": "ru"})
    assert "ключ преподавателя" in error_of(ru)["message"]


def test_without_a_teacher_key_set_off_loopback_the_server_realm_stays_closed(tmp_path):
    sim = Simulator(data_dir=tmp_path, teacher_key=None, host="0.0.0.0")
    client = create_app({"TESTING": True}, simulator=sim).test_client()
    assert client.get("/api/mail?realm=server", headers={"Authorization": "Bearer "}).status_code == 401
