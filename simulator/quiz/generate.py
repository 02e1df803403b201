"""Questions generated from the reply and command catalogues (no hand-written answers).

Every question here is computed from ``simulator/protocols/replies.py``,
``pop3_replies.py`` and ``imap_replies.py`` (with ``imap_commands.py``): the
right answer is the catalogue's own entry, the wrong ones are other entries
of the same catalogue chosen deterministically (a stable hash, never
``random``) and chosen to be plausible: for a code, codes of the same class or
the same second digit; for a command, commands of the same protocol.

Types made here: code_meaning, meaning_code, first_digit, second_digit,
retry, command_purpose, purpose_command, command_syntax.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable, Optional

from simulator.protocols.catalogue import bilingual as _t
from simulator.protocols.imap import replies as imap_replies
from simulator.protocols.pop3 import replies as pop3_replies
from simulator.protocols.registry import PROTOCOLS, spec
from simulator.protocols.smtp import replies
from simulator.quiz.model import Question, stable_hash

__all__ = ["questions", "display_command", "protocol_name"]



def protocol_name(protocol: str) -> str:
    return spec(protocol).title


def _join(*parts: Optional[dict]) -> dict:
    """Bilingual texts joined by spaces, skipping the missing ones."""
    return {lang: " ".join(p[lang] for p in parts if p and p.get(lang)) for lang in ("en", "ru")}


def _pick(candidates: Iterable[Any], n: int, *salt: Any, rank: Callable[[Any], Any] = lambda c: 0) -> list:
    """``n`` candidates: the best ``rank`` first, ties broken by a stable hash of ``salt``."""
    return sorted(candidates, key=lambda c: (rank(c), stable_hash(*salt, c)))[:n]


def _single(qid: str, qtype: str, protocol: Optional[str], topic: str, prompt: dict, right: Any,
            wrong: list, explanation: dict, *, codes: tuple = (), commands: tuple = (),
            order: Optional[Callable[[Any], Any]] = None, text: Callable[[Any], Any] = lambda c: c) -> Question:
    """A single-choice question; the canonical order is ``order`` (default: by stable hash)."""
    items = [right] + [w for w in wrong if w != right]
    items.sort(key=order or (lambda c: stable_hash(qid, c)))
    choices = tuple(text(c) for c in items)
    return Question(id=qid, type=qtype, protocol=protocol, topic=topic, kind="single", prompt=prompt,
                    choices=choices, answer=items.index(right), explanation=explanation,
                    codes=codes, commands=commands)


# --------------------------------------------------------------------------
# SMTP codes


def _smtp_code_rank(code: int, other: int) -> int:
    a, b = replies.CODES[code], replies.CODES[other]
    if a.reply_class == b.reply_class and a.category == b.category:
        return 0
    if a.reply_class == b.reply_class:
        return 1
    if a.category == b.category:
        return 2
    return 3


def _smtp_code_explanation(code: int) -> dict:
    info = replies.CODES[code]
    cls, cat = replies.CLASSES[info.reply_class], replies.CATEGORIES.get(info.category)
    head = _t(f"{code}: {info.meaning['en']}", f"{code}: {info.meaning['ru']}")
    lecture = (_t(f"The lecture (table 14.2): \u201c{info.lecture['en']}\u201d.",
                  f"В лекции (табл. 14.2): «{info.lecture['ru']}».") if info.lecture else None)
    digits = _t(f"First digit {info.reply_class}: {cls['name']['en']}."
                + (f" Second digit {info.category}: {cat['name']['en']}." if cat else ""),
                f"Первая цифра {info.reply_class}: {cls['name']['ru']}."
                + (f" Вторая цифра {info.category}: {cat['name']['ru']}." if cat else ""))
    return _join(head, lecture, info.note, digits)


def _smtp_codes() -> Iterable[Question]:
    codes = sorted(replies.CODES)
    for code in codes:
        info = replies.CODES[code]
        others = [c for c in codes if c != code]
        wrong = _pick(others, 3, "code", code, rank=functools.partial(_smtp_code_rank, code))
        explanation = _smtp_code_explanation(code)
        yield _single(f"code_meaning:smtp:{code}", "code_meaning", "smtp", "replies",
                      _t(f"What does the SMTP reply code `{code}` mean?",
                         f"Что означает код ответа SMTP `{code}`?"),
                      code, wrong, explanation, codes=(code,), order=lambda c: c,
                      text=lambda c: replies.CODES[c].meaning)
        wrong = _pick(others, 3, "meaning", code, rank=functools.partial(_smtp_code_rank, code))
        yield _single(f"meaning_code:smtp:{code}", "meaning_code", "smtp", "replies",
                      _t(f"Which SMTP reply code means: \u201c{info.meaning['en']}\u201d?",
                         f"Какой код ответа SMTP означает: «{info.meaning['ru']}»?"),
                      code, wrong, explanation, codes=(code,), order=lambda c: c, text=str)


def _class_text(n: int) -> dict:
    c = replies.CLASSES[n]
    return _t(f"{c['name']['en']}: {c['meaning']['en']}", f"{c['name']['ru']}: {c['meaning']['ru']}")


def _category_text(n: int) -> dict:
    c = replies.CATEGORIES[n]
    return _t(f"{c['name']['en']}: {c['meaning']['en']}", f"{c['name']['ru']}: {c['meaning']['ru']}")


def _smtp_digits() -> Iterable[Question]:
    classes, categories = sorted(replies.CLASSES), sorted(replies.CATEGORIES)
    class_note = _join(replies.CLASSES[5].get("note"), replies.UNUSED_CLASS_NOTE)
    for n in classes:
        yield _single(f"first_digit:smtp:{n}", "first_digit", "smtp", "replies",
                      _t(f"An SMTP reply code starts with the digit {n} ({n}yz). What does that tell the client?",
                         f"Код ответа SMTP начинается с цифры {n} ({n}yz). Что это говорит клиенту?"),
                      n, [c for c in classes if c != n], _join(_class_text(n), class_note),
                      codes=tuple(c for c in sorted(replies.CODES) if c // 100 == n), order=lambda c: c,
                      text=_class_text)
    for n in categories:
        yield _single(f"second_digit:smtp:{n}", "second_digit", "smtp", "replies",
                      _t(f"The second digit of an SMTP reply code is {n} (x{n}z). What is the reply about?",
                         f"Вторая цифра кода ответа SMTP — {n} (x{n}z). К чему относится ответ?"),
                      n, [c for c in categories if c != n], _join(_category_text(n), replies.CATEGORY_NOTE),
                      codes=tuple(c for c in sorted(replies.CODES) if c // 10 % 10 == n), order=lambda c: c,
                      text=_category_text)
    for code in sorted(replies.CODES):
        info = replies.CODES[code]
        yield _single(f"first_digit:smtp:{code}", "first_digit", "smtp", "replies",
                      _t(f"What does the first digit of the reply code `{code}` tell the client?",
                         f"Что сообщает клиенту первая цифра кода ответа `{code}`?"),
                      info.reply_class, [c for c in classes if c != info.reply_class],
                      _join(_class_text(info.reply_class), _smtp_code_explanation(code)),
                      codes=(code,), order=lambda c: c, text=_class_text)
        if info.category in replies.CATEGORIES:
            yield _single(f"second_digit:smtp:{code}", "second_digit", "smtp", "replies",
                          _t(f"Judging by its second digit, what is the reply code `{code}` about?",
                             f"К чему относится код ответа `{code}`, если судить по его второй цифре?"),
                          info.category, [c for c in categories if c != info.category],
                          _join(_category_text(info.category), _smtp_code_explanation(code)),
                          codes=(code,), order=lambda c: c, text=_category_text)


# The four answers to "should the client retry?", one per first digit.
_SMTP_RETRY = {
    2: _t("No need: the command succeeded; go on with the next one.",
          "Не нужно: команда выполнена; можно переходить к следующей."),
    3: _t("No need: the command was accepted and the server waits for more (after DATA: the message text).",
          "Не нужно: команда принята, и сервер ждёт продолжения (после DATA — текста письма)."),
    4: _t("Yes, later: the failure is temporary, so the same command "
          "(on a new connection if this one closes) may succeed.",
          "Да, позже: неудача временная, поэтому та же команда "
          "(по новому соединению, если это закроется) может пройти."),
    5: _t("No, not unchanged: the failure is permanent; fix the command or give up and report the error.",
          "Нет, без изменений — нет: неудача постоянная; исправьте команду или откажитесь и сообщите об ошибке."),
}


def _first_line(code: int) -> str:
    try:
        return replies.default_reply(code).text.split("\n")[0]
    except KeyError:
        return str(code)


def _smtp_retry() -> Iterable[Question]:
    for code in sorted(replies.CODES):
        info = replies.CODES[code]
        by_command = [_t(f"After {verb}: {a.why['en']}", f"После {verb}: {a.why['ru']}")
                      for verb, a in info.advice_by_command.items()]
        name = replies.CLASSES[info.reply_class]["name"]
        explanation = _join(_t(f"{code} starts with {info.reply_class}: {name['en']}.",
                               f"{code} начинается с {info.reply_class}: {name['ru']}."),
                            replies.ADVICE[info.advice], *by_command,
                            replies.CLASSES[info.reply_class].get("note"), info.note)
        line = _first_line(code)
        yield _single(f"retry:smtp:{code}", "retry", "smtp", "replies",
                      _t(f"The server answered `{line}`. Should the client send the same command again later?",
                         f"Сервер ответил `{line}`. Стоит ли клиенту позже послать ту же команду ещё раз?"),
                      info.reply_class, [n for n in _SMTP_RETRY if n != info.reply_class], explanation,
                      codes=(code,), order=lambda n: n, text=lambda n: _SMTP_RETRY[n])


# --------------------------------------------------------------------------
# POP3 and IMAP statuses


def _status_questions(protocol: str, codes: list[str], wrong_pool: list[str]) -> Iterable[Question]:
    cat = spec(protocol).replies
    name = spec(protocol).title
    for code in codes:
        info = cat.CODES[code]
        note = cat.NOTES.get("no_transient_split") if protocol == "imap" else cat.NOTES.get("status")
        explanation = _join(_t(f"{code}: {info.meaning['en']}", f"{code}: {info.meaning['ru']}"),
                            getattr(info, "lecture", None) and _t(f"The lecture: {info.lecture['en']}.",
                                                                  f"В лекции: {info.lecture['ru']}."),
                            info.note, cat.ADVICE[info.advice], note)
        others = [c for c in wrong_pool if c != code]
        wrong = _pick([c for c in others if c in cat.CODES], 3, "status", protocol, code)
        yield _single(f"code_meaning:{protocol}:{code}", "code_meaning", protocol, "replies",
                      _t(f"What does the {name} status `{code}` mean?", f"Что означает статус {name} `{code}`?"),
                      code, wrong, explanation, codes=(code,), text=lambda c: cat.CODES[c].meaning)
        wrong = _pick(others, 3, "meaning", protocol, code)
        yield _single(f"meaning_code:{protocol}:{code}", "meaning_code", protocol, "replies",
                      _t(f"Which {name} status means: \u201c{info.meaning['en']}\u201d?",
                         f"Какой статус {name} означает: «{info.meaning['ru']}»?"),
                      code, wrong, explanation, codes=(code,), order=lambda c: wrong_pool.index(c), text=str)


def _resp_code_questions(protocol: str, status: str) -> Iterable[Question]:
    """What a response code in brackets ([IN-USE], [TRYCREATE]...) tells the client."""
    cat = spec(protocol).replies
    names = list(cat.RESP_CODES)
    for name in names:
        meaning = cat.RESP_CODES[name]["meaning"]
        wrong = _pick([n for n in names if n != name], 3, "resp", protocol, name)
        explanation = _join(_t(f"[{name}] ({cat.RESP_CODES[name]['rfc']}): {meaning['en']}",
                               f"[{name}] ({cat.RESP_CODES[name]['rfc']}): {meaning['ru']}"),
                            cat.NOTES.get("no_transient_split") if protocol == "imap" else cat.CODES[status].note)
        yield _single(f"code_meaning:{protocol}:[{name}]", "code_meaning", protocol, "replies",
                      _t(f"The reply of a {spec(protocol).title} server carries the response code `[{name}]`. "
                         "What does it tell the client?",
                         f"В ответе сервера {spec(protocol).title} стоит код `[{name}]`. Что он сообщает клиенту?"),
                      name, wrong, explanation, codes=(_resp_status(protocol, name, status),),
                      text=lambda n: cat.RESP_CODES[n]["meaning"])


# IMAP response codes that come with an OK (information), not with a NO.
_IMAP_OK_RESP = {"CAPABILITY", "PERMANENTFLAGS", "READ-WRITE", "READ-ONLY", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}


def _resp_status(protocol: str, name: str, status: str) -> str:
    return "OK" if protocol == "imap" and name in _IMAP_OK_RESP else status


_POP3_RETRY_ANSWERS = {
    "later": _t("Yes, later: the problem is temporary.", "Да, позже: неполадка временная."),
    "credentials": _t("Not with the same credentials: ask the user for the name and password again.",
                      "Не с теми же данными: нужно снова спросить у пользователя имя и пароль."),
    "never": _t("No: the problem is permanent; tell the administrator.",
                "Нет: неполадка постоянная; сообщите администратору."),
    "unknown": _t("The status alone does not say: "
                  "-ERR does not tell a temporary failure from a permanent one; read the text.",
                  "По одному статусу не понять: -ERR не отличает временную неудачу от постоянной; читайте текст."),
}
# Which answer each response code of pop3_replies.RESP_CODES leads to (None: -ERR without a code).
_POP3_RETRY = {"IN-USE": "later", "LOGIN-DELAY": "later", "SYS/TEMP": "later", "AUTH": "credentials",
               "SYS/PERM": "never", None: "unknown"}

_IMAP_RETRY_ANSWERS = {
    "later": _t("Yes, later: the failure is temporary.", "Да, позже: неудача временная."),
    "create": _t("Yes, after creating the target folder.", "Да, после того как будет создана целевая папка."),
    "fix": _t("No: the command itself is wrong; fix it (or the client).",
              "Нет: ошибочна сама команда; исправьте её (или клиента)."),
    "credentials": _t("Not with the same credentials: check the user name and password.",
                      "Не с теми же данными: проверьте имя пользователя и пароль."),
    "never": _t("No: the server will never do this.", "Нет: этого сервер не сделает никогда."),
}
# (status, response code) -> answer; the response codes are imap_replies.RESP_CODES'.
_IMAP_RETRY = {("NO", "UNAVAILABLE"): "later", ("NO", "TRYCREATE"): "create", ("BAD", None): "fix",
               ("NO", "AUTHENTICATIONFAILED"): "credentials", ("NO", "CANNOT"): "never",
               ("NO", "SERVERBUG"): "never"}


def _status_retry() -> Iterable[Question]:
    for resp, answer in _POP3_RETRY.items():
        assert resp is None or resp in pop3_replies.RESP_CODES, resp
        shown = f"-ERR [{resp}]" if resp else "-ERR"
        why = pop3_replies.RESP_CODES[resp]["meaning"] if resp else pop3_replies.CODES["-ERR"].meaning
        yield _single(f"retry:pop3:{resp or '-ERR'}", "retry", "pop3", "replies",
                      _t(f"A POP3 server answered `{shown} ...`. Should the client send the same command again?",
                         f"Сервер POP3 ответил `{shown} ...`. Стоит ли клиенту послать ту же команду ещё раз?"),
                      answer, [a for a in _POP3_RETRY_ANSWERS if a != answer],
                      _join(why, pop3_replies.CODES["-ERR"].note), codes=("-ERR",),
                      order=list(_POP3_RETRY_ANSWERS).index, text=lambda a: _POP3_RETRY_ANSWERS[a])
    for (status, resp), answer in _IMAP_RETRY.items():
        assert resp is None or resp in imap_replies.RESP_CODES, resp
        shown = f"{status} [{resp}]" if resp else status
        why = imap_replies.RESP_CODES[resp]["meaning"] if resp else imap_replies.CODES[status].meaning
        yield _single(f"retry:imap:{resp or status}", "retry", "imap", "replies",
                      _t(f"An IMAP server answered a command with `a1 {shown} ...`. Should the client send it again?",
                         f"Сервер IMAP ответил на команду `a1 {shown} ...`. Стоит ли клиенту послать её ещё раз?"),
                      answer, [a for a in _IMAP_RETRY_ANSWERS if a != answer],
                      _join(why, imap_replies.ADVICE[imap_replies.CODES[status].advice],
                            imap_replies.NOTES["no_transient_split"]),
                      codes=(status,), order=list(_IMAP_RETRY_ANSWERS).index,
                      text=lambda a: _IMAP_RETRY_ANSWERS[a])


# --------------------------------------------------------------------------
# Commands


def display_command(protocol: str, verb: str) -> str:
    """How the lecture names a command: SMTP's MAIL FROM, RCPT TO, SEND FROM...; else the verb."""
    if protocol == "smtp":
        syntax = replies.COMMANDS[verb].syntax
        rest = syntax[len(verb):]
        for word in ("FROM:", "TO:"):
            if rest.startswith(" " + word):
                return f"{verb} {word[:-1]}"
    return verb


def _syntax_parts(protocol: str, verb: str) -> tuple[str, str]:
    """(the syntax up to and including the verb, the arguments after it)."""
    syntax = spec(protocol).replies.COMMANDS[verb].syntax
    at = syntax.index(verb)
    return syntax[:at + len(verb)], syntax[at + len(verb):]


def _command_explanation(protocol: str, verb: str) -> dict:
    c = spec(protocol).replies.COMMANDS[verb]
    head = _t(f"{display_command(protocol, verb)} ({c.rfc}): {c.meaning['en']} Syntax: `{c.syntax}`.",
              f"{display_command(protocol, verb)} ({c.rfc}): {c.meaning['ru']} Синтаксис: `{c.syntax}`.")
    lecture = getattr(c, "lecture", None)
    lecture_text = (_t(f"The lecture's argument column: {lecture['en']}.",
                       f"В лекции, столбец аргумента: {lecture['ru']}.")
                    if lecture and protocol == "smtp" else
                    _t(f"The lecture: {lecture['en']}.", f"В лекции: {lecture['ru']}.") if lecture else None)
    obsolete = (_t("Obsolete.", "Устаревшая.") if getattr(c, "obsolete", False) else None)
    return _join(head, lecture_text, obsolete, c.note)


def _command_rank(protocol: str, verb: str) -> Callable[[str], int]:
    cat = spec(protocol).replies.COMMANDS
    me = cat[verb]

    def rank(other: str) -> int:
        o = cat[other]
        if protocol == "imap":
            return 0 if (o.feature == me.feature and o.feature) else (1 if o.states == me.states else 2)
        if protocol == "pop3":
            return 0 if o.states == me.states else 1
        return 0 if o.obsolete == me.obsolete else 1
    return rank


def _mask(text: str, verb: str) -> str:
    """``text`` with the command's own name hidden, so a purpose does not name its answer."""
    return re.sub(rf"(?<![A-Z]){re.escape(verb)}(?![A-Z])", "\u2026", text)


def _command_questions(protocol: str) -> Iterable[Question]:
    cat = spec(protocol).replies.COMMANDS
    name = spec(protocol).title
    verbs = list(cat)
    for verb in verbs:
        shown = display_command(protocol, verb)
        explanation = _command_explanation(protocol, verb)
        others = [v for v in verbs if v != verb]
        rank = _command_rank(protocol, verb)
        wrong = _pick(others, 3, "purpose", protocol, verb, rank=rank)
        yield _single(f"command_purpose:{protocol}:{verb}", "command_purpose", protocol, "commands",
                      _t(f"What does the {name} command `{shown}` do?", f"Что делает команда {name} `{shown}`?"),
                      verb, wrong, explanation, commands=(verb,), text=lambda v: cat[v].meaning)
        meaning = cat[verb].meaning
        wrong = _pick(others, 3, "command", protocol, verb, rank=rank)
        yield _single(f"purpose_command:{protocol}:{verb}", "purpose_command", protocol, "commands",
                      _t(f"Which {name} command does this: \u201c{_mask(meaning['en'], verb)}\u201d?",
                         f"Какая команда {name} делает следующее: «{_mask(meaning['ru'], verb)}»?"),
                      verb, wrong, explanation, commands=(verb,), text=lambda v: display_command(protocol, v))
        head, args = _syntax_parts(protocol, verb)
        right = head + args
        variants = []
        for other in others:
            candidate = head + _syntax_parts(protocol, other)[1]
            longer, shorter = (candidate, right) if len(candidate) > len(right) else (right, candidate)
            if candidate in variants or candidate == right or \
                    (longer.startswith(shorter) and longer[len(shorter):].startswith(" [")):
                continue  # the same syntax with an optional tail would be right too
            variants.append(candidate)
        wrong = _pick(variants, 3, "syntax", protocol, verb)
        if len(wrong) == 3:
            yield _single(f"command_syntax:{protocol}:{verb}", "command_syntax", protocol, "commands",
                          _t(f"Which is the syntax of the {name} command {verb}?",
                             f"Каков синтаксис команды {name} {verb}?"),
                          right, wrong, explanation, commands=(verb,))


# --------------------------------------------------------------------------


def questions() -> list[Question]:
    """Every catalogue question, in a stable order."""
    out: list[Question] = []
    out.extend(_smtp_codes())
    out.extend(_smtp_digits())
    out.extend(_smtp_retry())
    out.extend(_status_questions("pop3", list(pop3_replies.CODES), ["+OK", "-ERR"]))
    imap_codes = [c for c in imap_replies.CODES]
    out.extend(_status_questions("imap", imap_codes, imap_codes))
    out.extend(_resp_code_questions("pop3", "-ERR"))
    out.extend(_resp_code_questions("imap", "NO"))
    out.extend(_status_retry())
    for protocol in PROTOCOLS:
        out.extend(_command_questions(protocol))
    return out
