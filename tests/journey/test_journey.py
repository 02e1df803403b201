"""A message's journey (simulator/journey.py): hops, outcomes, simulated times, the mailboxes, the bounce."""
from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from simulator.app import Simulator
from simulator.journey.clients import ImapClient, Pop3Client, SmtpClient, dot_stuff
from simulator.journey.data import (
    DATA_FILE,
    MAX_BODY,
    JourneyError,
    load_data,
    parse_data,
    parse_faults,
    presets_for_ui,
)
from simulator.journey.dsn import status_for
from simulator.journey.run import (
    MAX_ATTEMPTS,
    QUEUE_LIFETIME,
    READ_DELAY,
    RETRY_DELAYS,
    JourneyParts,
    duration,
    run_journey,
)
from simulator.mail.world import World
from simulator.store.db import MailStore
from simulator.web import socketio

WORLD = World.load()
SENDER_WORLD = load_data().sender.world()


@pytest.fixture
def parts():
    store = MailStore(world=WORLD)
    yield JourneyParts(WORLD, store.realm("learner:t"), SENDER_WORLD, store.realm("learner:t:net", world=SENDER_WORLD))
    store.close()


def shape(result) -> list[tuple]:
    """(kind, attempt, outcome) of every hop."""
    return [(h["kind"], h["attempt"], h["outcome"]) for h in result["hops"]]


def hop(result, kind: str, attempt: int = 1) -> dict:
    return next(h for h in result["hops"] if h["kind"] == kind and h["attempt"] == attempt)


def in_inbox(parts, user: str, message_id: str, realm: str = "receiver") -> bool:
    box = getattr(parts, realm)
    return any(message_id.encode() in m["content"] for m in box.messages(user))


OK_TAIL = [("deliver", 1, "ok"), ("read", 1, "ok")]
EXPECTED = {
    "happy_path": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "ok")] + OK_TAIL,
    "greylisting": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "deferred"),
                    ("dns", 2, "ok"), ("relay", 2, "ok")] + OK_TAIL,
    "receiver_busy": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "deferred"), ("dns", 2, "ok"),
                      ("relay", 2, "deferred"), ("dns", 3, "ok"), ("relay", 3, "ok")] + OK_TAIL,
    "receiver_silent": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "deferred"),
                        ("dns", 2, "ok"), ("relay", 2, "ok")] + OK_TAIL,
    "unknown_recipient": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "failed"), ("bounce", 1, "ok")],
    "mailbox_full": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "failed"), ("bounce", 1, "ok")],
    "dns_no_domain": [("submit", 1, "ok"), ("dns", 1, "failed"), ("bounce", 1, "ok")],
    "dns_failure": [("submit", 1, "ok"), ("dns", 1, "deferred"), ("dns", 2, "ok"), ("relay", 2, "ok")] + OK_TAIL,
    "temporary_forever": [("submit", 1, "ok")] + [x for n in range(1, MAX_ATTEMPTS + 1)
                                                  for x in (("dns", n, "ok"), ("relay", n, "deferred"))]
                         + [("bounce", 1, "ok")],
    "relay_denied": [("submit", 1, "failed")],
    "submission_busy": [("submit", 1, "deferred")],
    "read_wrong_password": [("submit", 1, "ok"), ("dns", 1, "ok"), ("relay", 1, "ok"), ("deliver", 1, "ok"),
                            ("read", 1, "failed")],
}


def test_every_preset_is_covered_here():
    assert set(EXPECTED) == set(load_data().presets)


@pytest.mark.parametrize("read", ["pop3", "imap"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_preset_takes_its_hops_and_ends_as_it_says(parts, name, read):
    result = run_journey(parts, read=read, preset=name)
    assert shape(result) == EXPECTED[name]
    assert result["outcome"] == load_data().presets[name].expect
    assert result["preset"] == name and result["read"] == read
    times = [h["sim_time"] for h in result["hops"]]
    assert times == sorted(times), "hops happen in order of simulated time"
    for h in result["hops"]:
        assert set(h["explain"]) == {"en", "ru"} and all(h["explain"].values())
        if h["kind"] in ("submit", "relay", "read", "bounce"):
            assert h["exchanges"][0]["kind"] == "tcp" and h["exchanges"][-1]["kind"] == "tcp"
    json.dumps(result)  # JSON-able as it is


def test_happy_path_delivers_into_bobs_inbox_and_bob_reads_it(parts):
    result = run_journey(parts, read="pop3", preset="happy_path")
    mid = result["message"]["message_id"]
    assert in_inbox(parts, "bob", mid)
    assert result["mailbox"]["user"] == "bob" and result["mailbox"]["folder"] == "INBOX"
    assert result["read_ok"] is True and result["stopped"] is None and result["bounce"] is None
    read = hop(result, "read")
    assert read["sim_time"] == pytest.approx(hop(result, "deliver")["sim_time"] + READ_DELAY, abs=1)
    verbs = [e["verb"] for e in read["exchanges"] if e["kind"] == "command"]
    assert verbs == ["USER", "PASS", "STAT", "LIST", "RETR", "QUIT"]
    # Keep mode: the message is still there after the read.
    assert in_inbox(parts, "bob", mid)


def test_submission_is_to_carols_own_server_and_the_relay_adds_a_trace_line(parts):
    result = run_journey(parts, preset="happy_path")
    submit = hop(result, "submit")
    assert submit["to"] == "sender_mta" and submit["meta"]["server"] == "mail.example.net:587"
    replies = [e["text"] for e in submit["exchanges"] if e["kind"] == "reply"]
    assert "250 Recipient <bob@example.org> OK, will relay to example.org" in replies
    stored = next(m for m in parts.receiver.messages("bob") if result["message"]["message_id"].encode() in m["content"])
    assert stored["content"].startswith(b"Received: from carol-laptop.example.net")
    assert stored["mail_from"] == "carol@example.net" and stored["helo"] == "mail.example.net"


def test_imap_reader_logs_in_searches_and_fetches(parts):
    result = run_journey(parts, read="imap", preset="happy_path")
    read = hop(result, "read")
    commands = [e["text"].split()[1] for e in read["exchanges"] if e["kind"] == "command"]
    assert commands == ["LOGIN", "SELECT", "SEARCH", "FETCH", "LOGOUT"]
    assert read["found"] is True and read["outcome"] == "ok"


def test_greylisting_retries_after_five_minutes(parts):
    result = run_journey(parts, preset="greylisting")
    first, second = hop(result, "relay", 1), hop(result, "relay", 2)
    assert first["reply"]["code"] == 450 and first["stage"] == "RCPT" and first["retry_in"] == RETRY_DELAYS[0]
    assert second["sim_time"] - (first["sim_time"] + first["duration"]) >= RETRY_DELAYS[0]
    assert second["sim_time"] < RETRY_DELAYS[0] + 5
    waits = [e for e in result["timeline"] if e["kind"] == "wait"]
    assert waits[0]["wait"] == 300 and "5 min" in waits[0]["text"]["en"] and "5 мин" in waits[0]["text"]["ru"]
    assert any(e["kind"] == "retry" and "2" in e["text"]["en"] for e in result["timeline"])


def test_receiver_busy_waits_longer_each_time(parts):
    result = run_journey(parts, preset="receiver_busy")
    starts = [hop(result, "dns", n)["sim_time"] for n in (1, 2, 3)]
    assert starts[1] == pytest.approx(RETRY_DELAYS[0], abs=2)
    assert starts[2] - starts[1] == pytest.approx(RETRY_DELAYS[1], abs=2)
    assert hop(result, "relay", 1)["stage"] == "greeting" and hop(result, "relay", 1)["reply"]["code"] == 421


def test_a_silent_receiver_is_timed_out_and_nothing_is_delivered_twice(parts):
    result = run_journey(parts, preset="receiver_silent")
    first = hop(result, "relay", 1)
    assert first["reason"] == "timeout" and first["stage"] == "DATA_END"
    assert first["duration"] >= 600  # RFC 5321 §4.5.3.2.6: ten minutes for the reply to the final dot
    mid = result["message"]["message_id"].encode()
    assert sum(mid in m["content"] for m in parts.receiver.messages("bob")) == 1


def test_unknown_recipient_bounces_to_carol_with_an_rfc_3464_report(parts):
    before = len(parts.receiver.messages("bob"))
    result = run_journey(parts, preset="unknown_recipient")
    mid = result["message"]["message_id"]
    assert len(parts.receiver.messages("bob")) == before and not in_inbox(parts, "bob", mid)
    assert result["stopped"]["hop"] == hop(result, "relay")["id"]
    bounce = hop(result, "bounce")
    assert bounce["to"] == "sender_mta" and bounce["outcome"] == "ok"
    assert "MAIL FROM:<>" in [e["text"] for e in bounce["exchanges"]]
    (dsn,) = [m for m in parts.sender.messages("carol") if mid.encode() in m["content"]]
    assert dsn["mail_from"] == ""

    msg = message_from_bytes(dsn["content"], policy=default_policy)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["Auto-Submitted"] == "auto-replied" and msg["To"].addresses[0].addr_spec == "carol@example.net"
    human, report, headers = msg.get_payload()
    assert human.get_content_type() == "text/plain"
    text = human.get_content()
    assert "bobb@example.org" in text and "User unknown" in text and "Ваше письмо не удалось доставить" in text
    assert report.get_content_type() == "message/delivery-status"
    per_message, per_recipient = report.get_payload()
    assert per_message["Reporting-MTA"] == "dns; mail.example.net"
    assert per_recipient["Final-Recipient"] == "rfc822; bobb@example.org"
    assert per_recipient["Action"] == "failed" and per_recipient["Status"] == "5.1.1"
    assert per_recipient["Remote-MTA"] == "dns; mx.example.org"
    assert per_recipient["Diagnostic-Code"] == "smtp; 550 <bobb@example.org>: User unknown"
    assert headers.get_content_type() == "text/rfc822-headers"
    assert f"Message-ID: {mid}" in headers.get_payload()
    assert result["bounce"]["status"] == "5.1.1"
    assert [p["type"] for p in result["bounce"]["parts"]] == ["text/plain", "message/delivery-status",
                                                              "text/rfc822-headers"]


def test_mailbox_full_reports_the_servers_enhanced_status(parts):
    result = run_journey(parts, preset="mailbox_full")
    relay = hop(result, "relay")
    assert relay["reply"]["code"] == 552 and relay["stage"] == "DATA_END"
    assert result["bounce"]["status"] == "5.2.2"
    assert result["bounce"]["diagnostic"].startswith("552 5.2.2 ")


def test_no_such_domain_bounces_at_once_without_a_relay(parts):
    result = run_journey(parts, preset="dns_no_domain")
    dns = hop(result, "dns")
    assert dns["answer"] == "nxdomain" and dns["exchanges"][-1]["text"].startswith("NXDOMAIN exmaple.org.")
    assert dns["exchanges"][-1]["fault"] is None  # the typo, not a fault, made it
    assert result["bounce"]["status"] == "5.1.2" and result["bounce"]["diagnostic"] is None
    assert result["total_time"] < 5


def test_dns_server_failure_is_retried(parts):
    result = run_journey(parts, preset="dns_failure")
    first = hop(result, "dns", 1)
    assert first["answer"] == "servfail" and first["exchanges"][-1]["fault"]["action"] == "reply"
    assert hop(result, "dns", 2)["sim_time"] == pytest.approx(RETRY_DELAYS[0], abs=2)


def test_retries_are_bounded_and_the_message_expires_into_a_bounce(parts):
    result = run_journey(parts, faults={"relay": {"rules": [{"stage": "RCPT", "reply": 450}]}})
    relays = [h for h in result["hops"] if h["kind"] == "relay"]
    assert len(relays) == MAX_ATTEMPTS and all(h["outcome"] == "deferred" for h in relays)
    gaps = [b["sim_time"] - (a["sim_time"] + a["duration"]) for a, b in zip(relays, relays[1:])]
    dns_time = hop(result, "dns", 2)["duration"]
    assert [round(g - dns_time) for g in gaps] == list(RETRY_DELAYS[:MAX_ATTEMPTS - 1])
    assert hop(result, "bounce")["sim_time"] == pytest.approx(QUEUE_LIFETIME, abs=1)
    assert result["outcome"] == "bounced" and result["bounce"]["status"] == "4.4.7"
    assert any(e["kind"] == "expire" for e in result["timeline"])


def test_relay_denied_is_a_550_at_the_submission_hop_and_no_bounce(parts):
    result = run_journey(parts, preset="relay_denied")
    (only,) = result["hops"]
    assert only["kind"] == "submit" and only["to"] == "receiver_mta" and only["meta"]["server"] == "mx.example.org:25"
    assert only["reply"]["code"] == 550 and "Relay access denied" in only["reply"]["text"]
    assert only["stage"] == "RCPT"
    assert "relay" in only["explain"]["en"] and "ретранслятор" in only["explain"]["ru"]
    assert result["outcome"] == "refused" and result["bounce"] is None
    assert [p["id"] for p in result["parties"] if p.get("unused")] == ["sender_mta", "dns"]


def test_a_user_agent_does_not_retry_a_refused_submission(parts):
    result = run_journey(parts, preset="submission_busy")
    assert result["outcome"] == "queued" and len(result["hops"]) == 1
    assert result["hops"][0]["reply"]["code"] == 421


def test_reading_fails_but_the_message_stays_delivered(parts):
    for read, code in (("pop3", "-ERR"), ("imap", "NO")):
        result = run_journey(parts, read=read, preset="read_wrong_password")
        assert result["outcome"] == "delivered" and result["read_ok"] is False
        assert hop(result, "read")["reply"]["code"] == code
        assert in_inbox(parts, "bob", result["message"]["message_id"])
        assert result["stopped"]["hop"] == hop(result, "read")["id"]


def test_free_form_faults_reach_each_hop(parts):
    result = run_journey(parts, read="pop3", faults={
        "dns": {"answer": "timeout", "times": 1},
        "relay": {"rules": [{"stage": "connect", "disconnect": True, "times": 1}]},
        "read": {"rules": [{"stage": "RETR", "reply": "-ERR", "times": 1}]},
    })
    assert shape(result)[:5] == [("submit", 1, "ok"), ("dns", 1, "deferred"), ("dns", 2, "ok"),
                                 ("relay", 2, "deferred"), ("dns", 3, "ok")]
    assert hop(result, "dns", 1)["answer"] == "timeout"
    assert hop(result, "relay", 2)["reason"] == "disconnect"
    read = hop(result, "read")
    assert read["outcome"] == "failed" and read["stage"] == "RETR"
    assert result["faults"]["read"]["protocol"] == "pop3"


def test_the_learners_faults_replace_the_presets_hop_by_hop(parts):
    result = run_journey(parts, preset="greylisting", faults={"dns": {"answer": "servfail", "times": 1}})
    assert hop(result, "dns", 1)["outcome"] == "deferred"
    assert hop(result, "relay", 2)["outcome"] == "deferred"  # the preset's greylisting still applies
    assert hop(result, "relay", 3)["outcome"] == "ok"


def test_own_subject_and_body_travel_intact(parts):
    body = "Привет, Боб!\n.точка в начале строки\n..две точки\n"
    result = run_journey(parts, subject="Обед в пятницу?", body=body)
    relay = hop(result, "relay")
    data = next(e for e in relay["exchanges"] if e["kind"] == "data")
    assert "=?utf-8?" in data["text"]  # the subject as an RFC 2047 encoded word: 7-bit on the wire
    stored = next(m for m in parts.receiver.messages("bob") if result["message"]["message_id"].encode() in m["content"])
    msg = message_from_bytes(stored["content"], policy=default_policy)
    assert msg["Subject"] == "Обед в пятницу?" and msg.get_content().replace("\r\n", "\n") == body
    assert result["message"]["subject"] == "Обед в пятницу?"
    assert max(stored["content"]) < 128


@pytest.mark.parametrize("kwargs, code, where", [
    ({"preset": "no_such_thing"}, "unknown_preset", ""),
    ({"preset": 7}, "bad_request", ""),
    ({"read": "smtp"}, "bad_request", "read"),
    ({"faults": []}, "bad_faults", "faults"),
    ({"faults": {"smtp": {}}}, "bad_faults", "faults.smtp"),
    ({"faults": {"relay": {"rules": [{"stage": "RCPT", "reply": 999}]}}}, "bad_faults", "faults.relay.rules[0].reply"),
    ({"faults": {"relay": {"rules": [{"stage": "PASS", "reply": 550}]}}}, "bad_faults", "faults.relay.rules[0].stage"),
    ({"faults": {"relay": {"protocol": "pop3", "rules": []}}}, "bad_faults", "faults.relay.protocol"),
    ({"faults": {"read": {"rules": [{"stage": "RCPT", "reply": 550}]}}}, "bad_faults", "faults.read.rules[0].stage"),
    ({"faults": {"read": {"rules": [{"stage": "PASS", "reply": "NO", "protocol": "imap"}]}}}, "bad_faults",
     "faults.read.rules[0].protocol"),
    ({"faults": {"dns": {"answer": "refused"}}}, "bad_faults", "faults.dns.answer"),
    ({"faults": {"dns": {"answer": "servfail", "times": True}}}, "bad_faults", "faults.dns.times"),
    ({"faults": {"dns": {"answer": "servfail", "when": 1}}}, "bad_faults", "faults.dns.when"),
    ({"faults": {"relay": {"rules": [{"stage": "RCPT", "reply": 450}] * 101}}}, "bad_faults", "faults.relay.rules"),
    ({"body": "x" * (MAX_BODY + 1)}, "too_big", "body"),
    ({"body": 42}, "bad_request", "body"),
    ({"subject": "two\r\nlines"}, "bad_request", "subject"),
    ({"subject": "nul\x00"}, "bad_request", "subject"),
])
def test_hostile_input_is_refused_before_anything_is_sent(parts, kwargs, code, where):
    before = len(parts.receiver.messages("bob")), len(parts.sender.messages("carol"))
    with pytest.raises(JourneyError) as caught:
        run_journey(parts, **kwargs)
    assert caught.value.code == code
    assert where in caught.value.detail
    assert (len(parts.receiver.messages("bob")), len(parts.sender.messages("carol"))) == before


def test_a_bad_learner_id_is_refused(tmp_path):
    sim = Simulator(data_dir=tmp_path)
    for learner in ("", "a" * 81, "../x", None):
        with pytest.raises(JourneyError) as caught:
            run_journey(sim, learner)
        assert caught.value.code == "bad_request"


def test_a_simulator_learner_gets_both_realms(tmp_path):
    sim = Simulator(data_dir=tmp_path)
    result = run_journey(sim, "Learner_01", preset="unknown_recipient")
    assert "learner:Learner_01:net" in sim.store.realms()
    mid = result["message"]["message_id"].encode()
    assert any(mid in m["content"] for m in sim.store.realm("learner:Learner_01:net").messages("carol"))
    result = run_journey(sim, "Learner_01")
    assert any(result["message"]["message_id"].encode() in m["content"]
               for m in sim.learner_mailboxes("Learner_01").messages("bob"))


# ----------------------------------------------------------------- the data file
def test_presets_are_bilingual_and_listed_for_the_ui():
    en, ru = presets_for_ui("en"), presets_for_ui("ru")
    assert [p["name"] for p in en] == [p["name"] for p in ru] == list(load_data().presets)
    for a, b in zip(en, ru):
        assert a["title"] != b["title"] and a["story"] != b["story"]
        assert any("а" <= ch <= "я" for ch in b["story"].lower())
    assert next(p for p in en if p["name"] == "greylisting")["faults"]["relay"]["rules"][0]["reply"] == 450


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.pop("presets"), "presets"),
    (lambda d: d["presets"][0].update(expect="maybe"), "presets[0].expect"),
    (lambda d: d["presets"][1].update(name=d["presets"][0]["name"]), "presets[1].name"),
    (lambda d: d["presets"][0]["title"].pop("ru"), "presets[0].title.ru"),
    (lambda d: d["presets"][0].update(faults={"relay": {"rules": [{"stage": "RCPT", "reply": 700}]}}),
     "presets[0].faults.relay.rules[0].reply"),
    (lambda d: d["presets"][0].update(to="not an address"), "presets[0].to"),
    (lambda d: d["sender"].update(domain="Example.NET"), "sender.domain"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_a_broken_journeys_file_names_where_it_is_broken(mutate, where):
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(JourneyError) as caught:
        parse_data(data)
    assert caught.value.code == "bad_data" and where in caught.value.detail


def test_parse_faults_keeps_each_hops_protocol():
    faults = parse_faults({"submit": {"rules": [{"stage": "greeting", "reply": 421}]},
                           "read": {"rules": [{"stage": "LOGIN", "reply": "NO"}]}}, "imap")
    assert faults.submit.protocol == "smtp" and faults.read.protocol == "imap"
    assert faults.to_json()["read"]["rules"][0]["reply"] == "NO"


# ----------------------------------------------------------------- pieces
def test_durations_read_naturally_in_both_languages():
    assert duration(300, "en") == "5 min" and duration(8100, "ru") == "2 ч 15 мин"
    assert duration(QUEUE_LIFETIME, "en") == "5 d" and duration(42, "en") == "42 s"


def test_status_codes_follow_rfc_3463():
    assert status_for("RCPT", 550, "550 5.7.1 <x>: Relay access denied") == "5.7.1"
    assert status_for("RCPT", 550, "550 <x>: User unknown") == "5.1.1"
    assert status_for("DATA_END", 552, "552 Requested mail action aborted") == "5.2.2"
    assert status_for("RCPT", 450, "450 4.2.0 Greylisted") == "4.2.0"
    assert status_for("RCPT", 550, "550 4.2.0 inconsistent") == "5.1.1"  # a class that disagrees is ignored
    assert status_for("", None, dns="nxdomain") == "5.1.2" and status_for("", None, expired=True) == "4.4.7"


def test_dot_stuffing_doubles_leading_dots_and_ends_with_a_dot_line():
    assert dot_stuff(b"a\r\n.b\r\n..c\r\n") == b"a\r\n..b\r\n...c\r\n.\r\n"
    assert dot_stuff(b"no newline") == b"no newline\r\n.\r\n"


def test_smtp_client_falls_back_to_helo_and_reads_multiline_replies():
    c = SmtpClient(helo="h.example", mail_from="a@b.example", recipient="c@d.example", content=b"x\r\n")
    c.receive_data(b"220 ready\r\n")
    assert c.handle(c.next_reply()) == b"EHLO h.example\r\n"
    c.receive_data(b"502 no\r\n")
    assert c.handle(c.next_reply()) == b"HELO h.example\r\n"
    c.receive_data(b"250-hi\r\n250 there\r\n")
    reply = c.next_reply()
    assert reply.lines == ("hi", "there") and c.handle(reply) == b"MAIL FROM:<a@b.example>\r\n"
    c.receive_data(b"421 bye\r\n")
    assert c.handle(c.next_reply()) == b"" and c.done and c.verdict.outcome == "deferred"


def test_pop3_client_unstuffs_the_message_and_checks_its_message_id():
    c = Pop3Client(user="bob", password="bob", message_id="<m1@x>")
    for reply in (b"+OK hi\r\n", b"+OK\r\n", b"+OK in\r\n", b"+OK 1 20\r\n", b"+OK\r\n1 20\r\n.\r\n"):
        c.receive_data(reply)
        c.handle(c.next_reply())
    assert c.stage == "RETR"
    c.receive_data(b"+OK 20 octets\r\nMessage-ID: <m1@x>\r\n\r\n..dot\r\n.\r\n")
    assert c.handle(c.next_reply()) == b"QUIT\r\n"
    assert c.found and c.retrieved.endswith(b".dot\r\n")


def test_imap_client_reads_a_literal_and_refuses_on_no():
    c = ImapClient(user="bob", password="b p", message_id="<m1@x>")
    c.receive_data(b"* OK ready\r\n")
    assert c.handle(c.next_reply()) == b'a1 LOGIN "bob" "b p"\r\n'
    c.receive_data(b"a1 OK in\r\n")
    c.handle(c.next_reply())
    c.receive_data(b"* 3 EXISTS\r\na2 OK [READ-WRITE] done\r\n")
    assert c.handle(c.next_reply()) == b'a3 SEARCH HEADER Message-ID "<m1@x>"\r\n'
    c.receive_data(b"* SEARCH 3\r\na3 OK done\r\n")
    assert c.handle(c.next_reply()) == b"a4 FETCH 3 (FLAGS BODY[])\r\n"
    c.receive_data(b"* 3 FETCH (FLAGS (\\Seen) BODY[] {20}\r\nMessage-ID: <m1@x>\r\n)\r\na4 OK done\r\n")
    assert c.handle(c.next_reply()) == b"a5 LOGOUT\r\n"
    assert c.found and c.retrieved == b"Message-ID: <m1@x>\r\n"
    refused = ImapClient(user="bob", password="x", message_id="<m>")
    refused.receive_data(b"* OK ready\r\na1 NO [AUTHENTICATIONFAILED] bad\r\n")
    refused.handle(refused.next_reply())
    assert refused.handle(refused.next_reply()) == b"a2 LOGOUT\r\n"
    assert refused.verdict.outcome == "failed" and refused.verdict.code == "NO"


# ----------------------------------------------------------------- web
def test_api_journeys_lists_presets_in_the_asked_language(app):
    web = app.test_client()
    ru = web.get("/api/journeys?lang=ru").get_json()
    en = web.get("/api/journeys?lang=en").get_json()
    assert ru["presets"][0]["title"] == "Всё работает" and en["presets"][0]["title"] == "Everything works"
    assert ru["read"] == ["pop3", "imap"] and ru["schedule"]["max_attempts"] == MAX_ATTEMPTS
    assert "RCPT" in ru["fault_model"]["relay"]["stages"] and "-ERR" in ru["fault_model"]["read_pop3"]["codes"]
    page = web.get("/journey")
    assert page.status_code == 200 and b'id="jr-map"' in page.data and b"/static/js/pages/journey.js" in page.data


def test_journey_run_over_socketio_uses_the_learners_world(app):
    web = app.test_client()
    web.get("/journey")  # sets the learner cookie
    client = socketio.test_client(app, flask_test_client=web)
    ack = client.emit("journey.run", {"preset": "happy_path", "read": "imap"}, callback=True)
    assert ack["ok"], ack
    journey = ack["journey"]
    assert journey["outcome"] == "delivered" and journey["read"] == "imap"
    learner = web.get_cookie("mailsim_learner").value
    sim = app.extensions["mailsim"]
    assert any(journey["message"]["message_id"].encode() in m["content"]
               for m in sim.learner_mailboxes(learner).messages("bob"))
    bad = client.emit("journey.run", {"preset": "nope"}, callback=True)
    assert bad["ok"] is False and bad["error"]["code"] == "journey_unknown_preset" and "nope" in bad["error"]["message"]
    bad = client.emit("journey.run", {"faults": {"relay": {"rules": [{"stage": "RCPT", "reply": 999}]}}}, callback=True)
    assert bad["error"]["code"] == "journey_bad_faults" and "faults.relay.rules[0].reply" in bad["error"]["message"]
    bad = client.emit("journey.run", {"body": "x" * (MAX_BODY + 1)}, callback=True)
    assert bad["error"]["code"] == "journey_too_big"
    bad = client.emit("journey.run", ["not", "an", "object"], callback=True)
    assert bad["error"]["code"] == "bad_request"
    client.disconnect()
