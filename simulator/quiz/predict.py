"""Questions made by playing the scenarios against the real engines: predict, order, fill.

Each scenario of ``simulator/data/scenarios`` is played once, with its
preset's fault plan, into a :class:`~simulator.session.Session` over a fresh
engine and a fresh in-memory :class:`~simulator.mailstore.MailStore` (as
``lesson_check.play_solution`` does). The transcript is the answer key: the
engine computes every reply, so a question made from it cannot be wrong.

* **predict**: for an interesting server reply (a refusal, a fault-made
  reply, the greeting, the answer to MAIL/RCPT/DATA/QUIT..., not every 250),
  the replay is the transcript up to and including the client input it
  answers (for the greeting, up to the connection); the learner picks the
  code (SMTP: the right code and three plausible ones; POP3: +OK or -ERR;
  IMAP: OK, NO, BAD, BYE).
* **order**: the exchanges of one phase of the lecture's figures (14.6,
  14.7, 14.8), the EHLO session and the POP3 figure (delete and keep mode),
  shuffled; the learner puts them back in order.
* **fill**: a whole transcript with one command or reply hidden; the learner
  chooses the missing line among four.

Only scenarios whose outcome the learner can know are used: a preset with a
rule of probability below 1 is skipped, and so is one whose delays change
what the server answers. A fault is described in the prompt without its
reply code (the preset's title with the codes taken out, and when each rule
fires), so the learner knows the situation but must know the code.
"""
from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from simulator import i18n
from simulator.lab import player
from simulator.protocols import registry
from simulator.protocols.catalogue import bilingual as _t
from simulator.protocols.smtp import replies
from simulator.quiz.generate import protocol_name
from simulator.quiz.model import Question, stable_hash
from simulator.store import realms

if TYPE_CHECKING:
    from simulator.lab.scenarios import Preset, Scenario

__all__ = ["questions", "play", "plays", "usable", "fault_context", "Play", "PORTS", "ORDER_SCENARIOS"]

PORTS = {name: s.standard_port for name, s in registry.SPECS.items()}
# The scenarios whose phases become "put in order" questions: the lecture's figures and the POP3 figure.
ORDER_SCENARIOS = ("fig_14_6_establishment", "fig_14_7_transfer", "fig_14_8_termination", "whole_session",
                   "pop3_delete_mode", "pop3_keep_mode")
# A fixed APOP timestamp and clock, so every machine plays the same transcript.
_APOP_STAMP = "1896.697170952"  # the APOP timestamp is <stamp@host>
_NOW = 1_788_000_000.0
_UIDVALIDITY_BASE = 1_700_000_000
_MAX_SHOWN = 4000  # characters of one exchange's text in a replay


@dataclass(frozen=True)
class Play:
    """One scenario played: its preset (or None) and the session's transcript."""

    scenario: Scenario
    preset: Optional[Preset]
    transcript: tuple


def _engine(protocol: str, world, mailboxes):
    # a fixed APOP stamp and clock, so every machine plays the same transcript
    return registry.spec(protocol).new_engine(world, mailboxes, owner="quiz", now=lambda: _NOW, stamp=_APOP_STAMP)


def _plan(scenario, preset):
    from simulator.lab.faults import FaultPlan
    return preset.plan if preset is not None else FaultPlan(protocol=scenario.protocol)


def play(scenario, plan=None, *, stop_after_inputs: Optional[int] = None) -> list[dict]:
    """Play ``scenario`` (with ``plan``, default its preset's) on a fresh world; the transcript.

    With ``stop_after_inputs``, stop once the client has sent that many inputs
    (the connection counts as the first): what the server says up to there.
    """
    from simulator.lab.faults import FaultRuntime
    from simulator.lab.scenarios import load_presets, scenario_script
    from simulator.lab.session import Session
    from simulator.mail.world import World
    from simulator.store.db import MailStore

    if plan is None:
        plan = _plan(scenario, load_presets()[scenario.preset] if scenario.preset else None)
    world = World.load()
    # SMTP answers never read the mailboxes: its deliveries go to a list. POP3 and IMAP get a fresh
    # in-memory store each, so one play never sees another's changes.
    store = MailStore(world) if scenario.protocol != "smtp" else None
    try:
        mailboxes = store.realm(realms.QUIZ) if store is not None else None
        first = min((f.uidvalidity for user in world.users for f in mailboxes.folders(user)), default=0) \
            if mailboxes is not None else 0
        delivered: list = []
        sink = {"store": mailboxes} if mailboxes is not None else {"deliver": delivered.append}
        session = Session("quiz", _engine(scenario.protocol, world, mailboxes), faults=FaultRuntime(plan),
                          protocol=scenario.protocol, sleep=lambda _s: None, clock=lambda: 0.0, peer="quiz",
                          **sink)
        player.play(session, scenario_script(scenario), stop_after_inputs=stop_after_inputs)
        return [_fixed_uidvalidity(ex, first) for ex in session.transcript]
    finally:
        if store is not None:
            store.close()


_BIG_NUMBER = re.compile(r"(?<!\d)\d{9,11}(?!\d)")


def _fixed_uidvalidity(ex: dict, first: int) -> dict:
    """The exchange with UIDVALIDITY values (the store takes them from the clock) renumbered from a fixed
    base in allocation order, so the transcript is the same on every machine and every run."""
    if not first or not ex.get("text"):
        return ex
    def fix(m: re.Match) -> str:
        n = int(m.group(0))
        return str(_UIDVALIDITY_BASE + n - first) if first <= n <= first + 10_000 else m.group(0)
    text = _BIG_NUMBER.sub(fix, ex["text"])
    return ex if text == ex["text"] else {**ex, "text": text}


def usable(scenario, preset) -> bool:
    """True when the learner can know the outcome: no chance rules, no delay that changes a reply."""
    if preset is None:
        return True
    rules = preset.plan.rules
    if any(r.probability is not None and r.probability < 1 for r in rules):
        return False
    if any(r.delay_ms for r in rules):
        plain = dataclasses.replace(preset.plan, rules=tuple(dataclasses.replace(r, delay_ms=0) for r in rules))
        codes = lambda tr: [(ex["kind"], ex["code"], ex["text"]) for ex in tr if ex["from"] == "server"]  # noqa: E731
        return codes(play(scenario, preset.plan)) == codes(play(scenario, plain))
    return True


_plays: Optional[list[Play]] = None
_plays_lock = threading.Lock()


def plays() -> list[Play]:
    """Every usable scenario, played once (cached), in scenario order."""
    global _plays
    from simulator.lab.scenarios import load_presets, load_scenarios
    with _plays_lock:
        if _plays is None:
            presets = load_presets()
            out = []
            for scenario in load_scenarios().values():
                preset = presets[scenario.preset] if scenario.preset else None
                if usable(scenario, preset):
                    out.append(Play(scenario, preset, tuple(play(scenario, _plan(scenario, preset)))))
            _plays = out
        return _plays


# --------------------------------------------------------------------------
# Transcripts as shown


def _shown(ex: dict, hide: bool = False) -> dict:
    text = ex.get("text") or ""
    if len(text) > _MAX_SHOWN:
        # the same replay is shown in either language: a count, no words
        text = text[:_MAX_SHOWN] + f"\n… (+{len(ex['text']) - _MAX_SHOWN})"
    fault = ex.get("fault")
    out = {"from": ex["from"], "kind": ex["kind"], "text": text, "code": ex.get("code"),
           "verb": ex.get("verb"), "phase": ex.get("phase"),
           "fault": {"action": fault["action"]} if fault else None}
    if hide:
        out.update(text="?", code=None, verb=None, fault=None)
    return out


def _pairs(transcript: Iterable[dict]) -> list[tuple[int, int]]:
    """(index of a client input or of the connection, index of the reply that answers it)."""
    out, pending = [], None
    for j, ex in enumerate(transcript):
        connect = ex["kind"] == "tcp" and ex["text"] == "connect"
        if ex["from"] == "client" and (ex["kind"] in ("command", "data") or connect):
            pending = j
        elif ex["from"] == "server" and ex["kind"] == "reply" and pending is not None:
            out.append((pending, j))
            pending = None
        elif ex["kind"] == "silence":
            pending = None
    return out


def _verb(ex: dict) -> str:
    if ex["kind"] == "tcp":
        return "greeting"
    return ex.get("verb") or "UNKNOWN"


def _negative(code) -> bool:
    return (isinstance(code, int) and code >= 400) or code in ("-ERR", "NO", "BAD", "BYE")




def _interest(protocol: str, client: dict, reply: dict) -> int:
    """0 fault-made, 1 refusal, 2 interesting verb, 3 not worth a question."""
    if reply.get("fault") and reply["fault"].get("action") == "reply":
        return 0
    if _negative(reply["code"]):
        return 1
    verb = _verb(client)
    if verb in registry.spec(protocol).predict_stages or (protocol == "smtp" and reply["code"] != 250):
        return 2
    return 3


# --------------------------------------------------------------------------
# Faults, described without their codes

_CODE_WORDS = re.compile(r"\d{3}|[+-]OK|-ERR|\bNO\b|\bBAD\b|\bBYE\b|->")


def _strip_codes(title: str) -> str:
    title = re.sub(r"\s*\(([^()]*)\)", lambda m: "" if _CODE_WORDS.search(m.group(1)) else m.group(0), title)
    return title.strip()


def _stage(stage: str) -> dict:
    if stage == "greeting":
        return _t("the greeting", "приветствие")
    if stage == "connect":
        return _t("the connection", "соединение")
    if stage == "DATA_END":
        return _t("the end of the message (its final dot)", "конец письма (завершающую точку)")
    if stage == "*":
        return _t("every command", "каждую команду")
    return _t(f"the command {stage}", f"команду {stage}")


def _counted(key: str, n: int) -> dict:
    """A counted phrase of the catalogue in both languages (CLDR plural and ordinal forms: "3rd", "2 раза")."""
    return {lang: i18n.t(lang, key, n=n) for lang in ("en", "ru")}


def _when(rule) -> dict:
    parts = []
    if rule.match in ("?*", "*?"):
        parts.append(_t("when it has an argument", "когда у неё есть аргумент"))
    elif rule.match:
        parts.append(_t(f"for arguments matching {rule.match}", f"для аргументов вида {rule.match}"))
    after, times = rule.after, rule.times
    if after and times == 1:
        parts.append(_t("only the second time", "только во второй раз") if after == 1
                     else _counted("quizapi.predict.only_nth_time", after + 1))
    elif after:
        parts.append(_t("from the second time on", "начиная со второго раза") if after == 1
                     else _counted("quizapi.predict.from_nth_time", after + 1))
    elif times == 1:
        parts.append(_t("only the first time", "только в первый раз"))
    elif times:
        parts.append(_counted("quizapi.predict.first_times", times))
    return {lang: ", ".join(p[lang] for p in parts) for lang in ("en", "ru")}


def _rule_text(rule) -> dict:
    stage, when = _stage(rule.stage), _when(rule)
    if rule.kind == "reply":
        out = _t(f"a fault replaces the server's answer to {stage['en']}",
                 f"неисправность подменяет ответ сервера на {stage['ru']}")
    elif rule.kind == "disconnect":
        out = _t(f"the server drops the connection at {stage['en']}", f"сервер обрывает соединение на {stage['ru']}")
    elif rule.kind == "silent":
        out = _t(f"the server says nothing to {stage['en']}", f"сервер ничего не отвечает на {stage['ru']}")
    else:
        out = _t(f"the server answers {stage['en']} {i18n.number('en', rule.delay_ms)} ms late",
                 f"сервер отвечает на {stage['ru']} с задержкой {i18n.number('ru', rule.delay_ms)} мс")
    return {lang: out[lang] + (f" ({when[lang]})" if when[lang] else "") for lang in ("en", "ru")}


def fault_context(preset) -> dict:
    """What the learner is told about a preset: its title without codes and when each rule fires."""
    if preset is None:
        return _t("No faults: the server behaves normally.", "Без неисправностей: сервер работает как обычно.")
    rules = [_rule_text(r) for r in preset.plan.rules]
    prefix = f"{protocol_name(preset.protocol)}: "
    titles = {lang: _strip_codes(preset.title[lang]) for lang in ("en", "ru")}
    titles = {lang: t[len(prefix):] if t.startswith(prefix) else t for lang, t in titles.items()}
    titles = {lang: t[:1].upper() + t[1:] for lang, t in titles.items()}
    return {lang: f"{titles[lang]}: " + "; ".join(r[lang] for r in rules) + "." for lang in ("en", "ru")}


# --------------------------------------------------------------------------
# predict

# Codes an SMTP server plausibly answers each input with (wrong choices are taken from here first).
_SMTP_LIKELY = {
    "greeting": (220, 421, 554, 250), "HELO": (250, 501, 503, 500), "EHLO": (250, 501, 502, 500),
    "MAIL": (250, 451, 452, 501, 503, 550, 552, 553, 555), "RCPT": (250, 251, 450, 452, 503, 550, 551, 553),
    "DATA": (354, 503, 554, 451, 250), "DATA_END": (250, 451, 452, 552, 554),
    "QUIT": (221, 250, 421), "VRFY": (250, 251, 252, 502, 550, 551), "EXPN": (250, 252, 502, 550),
    "HELP": (211, 214, 502, 504), "NOOP": (250, 211, 500), "RSET": (250, 503, 500),
    "TURN": (502, 500, 250, 503), "SEND": (502, 500, 250, 503), "SOML": (502, 500, 250, 503),
    "SAML": (502, 500, 250, 503), "UNKNOWN": (500, 502, 501, 503),
}


def _predict_choices(protocol: str, verb: str, code, qid: str) -> list:
    if protocol == "smtp":
        likely = [c for c in _SMTP_LIKELY.get(verb, ()) if c != code and c in replies.CODES]
        rest = [c for c in replies.CODES if c != code and c not in likely]
        info = replies.CODES[code]
        rest.sort(key=lambda c: (replies.CODES[c].reply_class != info.reply_class,
                                 replies.CODES[c].category != info.category, stable_hash(qid, c)))
        wrong = sorted(likely, key=lambda c: stable_hash(qid, c))[:3]
        wrong += rest[:3 - len(wrong)]
        return sorted([code] + wrong)
    base = list(registry.spec(protocol).status_choices)
    if code not in base:
        base = [code] + base[:3]
    return base


def _reply_explanation(protocol: str, reply: dict, preset) -> dict:
    cat = registry.spec(protocol).replies
    code = reply["code"]
    shown = reply["text"].split("\n")
    wire = shown[0] if len(shown) == 1 else f"{shown[0]} ... {shown[-1]}"
    parts = [_t(f"The server answered `{wire}`.", f"Сервер ответил `{wire}`.")]
    spec = cat.REPLIES.get(reply.get("key") or "")
    fault = reply.get("fault")
    if fault and fault.get("action") == "reply" and preset is not None:
        parts.append(preset.story)
        natural = fault.get("natural")
        if natural:
            parts.append(_t(f"Without the fault the engine would have answered {natural['code']}.",
                            f"Без неисправности движок ответил бы {natural['code']}."))
    elif spec is not None:
        parts.append(spec.why)
    info = cat.CODES.get(code)
    if info is not None:
        parts.append(_t(f"{code}: {info.meaning['en']}", f"{code}: {info.meaning['ru']}"))
    return {lang: " ".join(p[lang] for p in parts) for lang in ("en", "ru")}


_ASK = {
    "smtp": _t("Which reply code does the server send next?", "Какой код ответа сервер пошлёт следующим?"),
    "pop3": _t("Which status does the server answer with?", "С каким статусом ответит сервер?"),
    "imap": _t("Which status ends the server's answer?", "Каким статусом закончится ответ сервера?"),
}


def _relevant(preset, verb: str) -> Optional[str]:
    """The preset's name if one of its rules can touch ``verb``'s answer (else None)."""
    if preset is None:
        return None
    stages = {"greeting": ("greeting", "connect")}.get(verb, (verb, "*"))
    return preset.name if any(r.stage in stages for r in preset.plan.rules) else None


def _predict(p: Play, seen: set) -> Iterable[Question]:
    sc, tr, protocol = p.scenario, p.transcript, p.scenario.protocol
    replies_at = [j for j, ex in enumerate(tr) if ex["from"] == "server" and ex["kind"] == "reply"]
    context = fault_context(p.preset)
    name = protocol_name(protocol)
    for ci, j in _pairs(tr):
        client, reply = tr[ci], tr[j]
        if _interest(protocol, client, reply) > 2:
            continue
        verb = _verb(client)
        replay = tuple(_shown(ex) for ex in tr[:ci + 1])
        signature: tuple
        if _interest(protocol, client, reply) == 2:
            # A normal positive answer is asked once per situation, not in every scenario that has it.
            before = [ex["code"] for ex in tr[:ci] if ex["from"] == "server" and ex["kind"] == "reply"]
            signature = (protocol, verb, reply["code"], before[-1] if before else None, _relevant(p.preset, verb))
        else:
            signature = (protocol, p.preset.name if p.preset else None,
                         tuple((ex["from"], ex["kind"], ex["text"]) for ex in replay))
        if signature in seen:
            continue
        seen.add(signature)
        k = replies_at.index(j)
        qid = f"predict:{protocol}:{sc.name}:{k}"
        choices = _predict_choices(protocol, verb, reply["code"], qid)
        what = (_t("The client has just connected.", "Клиент только что подключился.") if verb == "greeting"
                else _t("The last line is the client's.", "Последняя строка — от клиента."))
        yield Question(
            id=qid, type="predict", protocol=protocol, topic="replies", kind="single",
            prompt={lang: f"{name}. {context[lang]} {what[lang]} {_ASK[protocol][lang]}" for lang in ("en", "ru")},
            choices=tuple(str(c) for c in choices), answer=choices.index(reply["code"]),
            explanation=_reply_explanation(protocol, reply, p.preset),
            codes=(reply["code"],), commands=() if verb in ("greeting", "DATA_END", "UNKNOWN") else (verb,),
            replay=replay, source={"scenario": sc.name, "preset": sc.preset, "reply_index": k})


# --------------------------------------------------------------------------
# order

_PHASES = {
    "establishment": _t("connection establishment (fig. 14.6)", "установление соединения (рис. 14.6)"),
    "transfer": _t("message transfer (fig. 14.7)", "передача сообщения (рис. 14.7)"),
    "termination": _t("connection termination (fig. 14.8)", "завершение соединения (рис. 14.8)"),
    "authorization": _t("POP3 authorization (logging in)", "авторизация POP3 (вход)"),
    "transaction": _t("POP3 transaction (working with the mail)", "транзакция POP3 (работа с почтой)"),
    "update": _t("POP3 update (ending the session)", "обновление POP3 (завершение сеанса)"),
}


def _item(protocol: str, ex: dict):
    if ex["kind"] == "tcp":
        side = "C" if ex["from"] == "client" else "S"
        if ex["text"] == "connect":
            port = PORTS[protocol]
            return _t(f"C: opens a TCP connection to port {port}", f"C: открывает TCP-соединение с портом {port}")
        return _t(f"{side}: closes the TCP connection", f"{side}: закрывает TCP-соединение")
    if ex["kind"] == "data":
        return _t("C: the message (headers, an empty line, the body), then a line holding only \".\"",
                  "C: письмо (заголовки, пустая строка, тело), затем строка из одной точки «.»")
    lines = ex["text"].split("\n")
    text = lines[0] + (" \u2026" if len(lines) > 1 else "")
    return ("C: " if ex["from"] == "client" else "S: ") + text


def _order(p: Play, seen: set) -> Iterable[Question]:
    sc, protocol = p.scenario, p.scenario.protocol
    groups: dict[str, list[dict]] = {}
    for ex in p.transcript:
        if ex["kind"] not in ("tcp", "command", "data", "reply"):
            continue
        phase = ex.get("phase") or ""
        if protocol == "pop3" and phase == "termination":
            phase = "update"
        groups.setdefault(phase, []).append(ex)
    for phase, exchanges in groups.items():
        items, used, skipping = [], set(), False
        for ex in exchanges:
            if ex["from"] == "client" and ex["kind"] == "command":
                skipping = ex["verb"] in used  # a repeated step (another RCPT, another RETR) is left out
                used.add(ex["verb"])
            if not skipping:
                items.append((ex, _item(protocol, ex)))
        texts = [t["en"] if isinstance(t, dict) else t for _, t in items]
        if len(items) < 3 or len(set(texts)) != len(texts) or tuple(texts) in seen or phase not in _PHASES:
            continue
        seen.add(tuple(texts))
        steps = "; ".join(f"{i + 1}. {t}" for i, t in enumerate(texts))
        steps_ru = "; ".join(f"{i + 1}. {t['ru'] if isinstance(t, dict) else t}" for i, (_, t) in enumerate(items))
        explanation = _t(f"{sc.description['en']} The order: {steps}.", f"{sc.description['ru']} Порядок: {steps_ru}.")
        yield Question(
            id=f"order:{protocol}:{sc.name}:{phase}", type="order", protocol=protocol, topic="phases", kind="order",
            prompt=_t(f"Put the exchanges of the {_PHASES[phase]['en']} in the order they happen "
                      f"(scenario \u201c{sc.title['en']}\u201d).",
                      f"Расставьте обмены фазы «{_PHASES[phase]['ru']}» в том порядке, в каком они происходят "
                      f"(сценарий «{sc.title['ru']}»)."),
            choices=tuple(t for _, t in items), answer=None, explanation=explanation,
            codes=tuple(dict.fromkeys(ex["code"] for ex, _ in items if ex["kind"] == "reply")),
            commands=tuple(dict.fromkeys(ex["verb"] for ex, _ in items if ex["kind"] == "command")),
            replay=None, source={"scenario": sc.name, "preset": sc.preset, "phase": phase})


# --------------------------------------------------------------------------
# fill


def _retag(protocol: str, candidate: str, like: str) -> Optional[str]:
    """An IMAP line with ``like``'s tag instead of its own (None if one is tagged and the other not)."""
    if protocol != "imap":
        return candidate
    mine, theirs = like.split(" ", 1)[0], candidate.split(" ", 1)[0]
    if (mine in ("*", "+")) != (theirs in ("*", "+")):
        return None
    return candidate if mine in ("*", "+") else mine + candidate[len(theirs):]


def _pools(all_plays: list[Play]) -> tuple[dict, dict]:
    reply_pool: dict[str, list[tuple]] = {}
    command_pool: dict[str, list[tuple]] = {}
    for p in all_plays:
        protocol = p.scenario.protocol
        for ci, j in _pairs(p.transcript):
            client, reply = p.transcript[ci], p.transcript[j]
            if "\n" not in reply["text"] and len(reply["text"]) <= 100:
                reply_pool.setdefault(protocol, []).append((_verb(client), reply["code"], reply["text"]))
            if client["kind"] == "command" and client["verb"] not in (None, "UNKNOWN") and len(client["text"]) <= 100:
                command_pool.setdefault(protocol, []).append((client["verb"], client.get("phase"), client["text"]))
    return reply_pool, command_pool


def _fill(p: Play, pools: tuple[dict, dict]) -> Iterable[Question]:
    sc, tr, protocol = p.scenario, p.transcript, p.scenario.protocol
    reply_pool, command_pool = pools
    pairs = _pairs(tr)
    context = fault_context(p.preset)
    ask = _t("One line of the transcript is hidden (shown as ?). Which line is it?",
             "Одна строка протокола скрыта (на её месте ?). Какая это строка?")
    prompt = {lang: f"{protocol_name(protocol)}. {context[lang]} {ask[lang]}" for lang in ("en", "ru")}
    # A hidden reply: the most interesting one-line reply.
    candidates = [(_interest(protocol, tr[ci], tr[j]), j, ci) for ci, j in pairs
                  if "\n" not in tr[j]["text"] and len(tr[j]["text"]) <= 100]
    candidates = [c for c in candidates if c[0] <= 2]
    if candidates:
        _, j, ci = min(candidates)
        right, code, verb = tr[j]["text"], tr[j]["code"], _verb(tr[ci])
        qid = f"fill:{protocol}:{sc.name}:{j}"
        options = []
        for v, c, text in sorted(set(reply_pool.get(protocol, [])),
                                 key=lambda e: (e[0] != verb or e[1] == code, e[1] == code, stable_hash(qid, e))):
            text = _retag(protocol, text, right)
            if text is None or text == right or text in options or (c == code and v == verb):
                continue
            options.append(text)
            if len(options) == 3:
                break
        if len(options) == 3:
            yield _fill_question(qid, protocol, prompt, tr, j, right, options, p, codes=(code,),
                                 commands=() if verb in ("greeting", "DATA_END", "UNKNOWN") else (verb,),
                                 explanation=_reply_explanation(protocol, tr[j], p.preset))
    # A hidden command: one chosen by a stable hash among those with a reply.
    commands = [ci for ci, j in pairs if tr[ci]["kind"] == "command" and tr[ci]["verb"] not in (None, "UNKNOWN")]
    if commands:
        ci = min(commands, key=lambda i: stable_hash("fill-command", sc.name, i))
        right, verb, phase = tr[ci]["text"], tr[ci]["verb"], tr[ci].get("phase")
        qid = f"fill:{protocol}:{sc.name}:{ci}"
        options = []
        for v, _ph, text in sorted(set(command_pool.get(protocol, [])),
                                  key=lambda e: (e[1] != phase, stable_hash(qid, e))):
            text = _retag(protocol, text, right)
            if v == verb or text is None or text == right or text in options:
                continue
            options.append(text)
            if len(options) == 3:
                break
        if len(options) == 3:
            info = registry.spec(protocol).replies.COMMANDS.get(verb)
            explanation = _t(f"The hidden line is `{right}`.", f"Скрытая строка — `{right}`.")
            if info is not None:
                explanation = {lang: f"{explanation[lang]} {verb}: {info.meaning[lang]}" for lang in ("en", "ru")}
            reply_j = next(j for c, j in pairs if c == ci)
            yield _fill_question(qid, protocol, prompt, tr, ci, right, options, p,
                                 codes=(tr[reply_j]["code"],), commands=(verb,), explanation=explanation)


def _fill_question(qid, protocol, prompt, tr, hidden, right, options, p: Play, *, codes, commands, explanation):
    choices = sorted([right] + options, key=lambda t: stable_hash(qid, t))
    return Question(
        id=qid, type="fill", protocol=protocol, topic="phases", kind="single", prompt=prompt,
        choices=tuple(choices), answer=choices.index(right), explanation=explanation, codes=codes,
        commands=commands, replay=tuple(_shown(ex, hide=(i == hidden)) for i, ex in enumerate(tr)),
        source={"scenario": p.scenario.name, "preset": p.scenario.preset, "exchange_index": hidden})


# --------------------------------------------------------------------------


def questions() -> list[Question]:
    """Every predict, order and fill question, in scenario order."""
    all_plays = plays()
    out: list[Question] = []
    seen: set = set()
    for p in all_plays:
        out.extend(_predict(p, seen))
    seen = set()
    by_name = {p.scenario.name: p for p in all_plays}
    for name in ORDER_SCENARIOS:
        if name in by_name:
            out.extend(_order(by_name[name], seen))
    pools = _pools(all_plays)
    for p in all_plays:
        out.extend(_fill(p, pools))
    return out
