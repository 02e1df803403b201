"""The POP3 reply catalogue: every status line the engine sends, and what it means.

This module is the single source of POP3 reply wording, as ``replies.py`` is
for SMTP. The engine builds every reply with :func:`reply`; fault rules that
name only a status get :func:`default_reply`; the browser explains a reply
from :func:`catalogue_for_ui`.

POP3 has no numeric codes: a reply starts with one of two status indicators,
``+OK`` or ``-ERR`` (RFC 1939 §3). So that the diagram colours them like SMTP
replies, ``CODES`` gives ``+OK`` class 2 (done) and ``-ERR`` class 5
(refused). RFC 2449 §8 adds machine-readable *response codes* in square
brackets after ``-ERR`` (``[IN-USE]``, ``[AUTH]``...); ``RESP_CODES``
explains the ones MailSim sends.

* ``CODES``: the two status indicators: meaning (English and Russian), what
  the lecture shows and where that differs from the RFCs, what to do next.
* ``REPLIES``: one specific reply (``"err.no_such_message"``): status, the
  first line's wire text (ASCII, may hold ``{placeholders}``), for listings
  the template of each line that follows, and ``why``.
* ``COMMANDS``: the POP3 verbs, the lecture's wording where it has one.
* ``MODES``, ``STATES``: delete mode and keep mode; the session states.

A :class:`Pop3Reply` with a ``body`` is a multi-line reply: the wire form
dot-stuffs the body and ends it with a line holding only ``.``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from simulator.protocols.catalogue import Text, clean_param
from simulator.protocols.catalogue import bilingual as _t

DEFAULT_HOST = "mx.example.org"
# A status line is at most 512 octets with its CRLF (RFC 2449 §4).
MAX_STATUS_LINE = 512
# Values put into a template (user names, numbers the client typed) are cut here.
MAX_PARAM = 100
# A transcript shows at most this much of a multi-line body.
MAX_TRANSCRIPT_BODY = 16 * 1024

OK, ERR = "+OK", "-ERR"
GREETING_CODES = (OK, ERR)

# RFC 2449 §6 capabilities MailSim announces in its CAPA reply, in this order.
CAPABILITIES = ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
                "IMPLEMENTATION MailSim")

_BREAKS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def normalize_lines(body: bytes) -> bytes:
    """``body`` with every line break as CRLF and, unless empty, ending in CRLF."""
    body = bytes(body)
    crlf = body.count(b"\r\n")
    if body.count(b"\n") != crlf or body.count(b"\r") != crlf:  # bare CR or LF: the slow way
        body = _BREAKS.sub(b"\r\n", body)
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def dot_stuff(body: bytes) -> bytes:
    """Double each leading "." of a CRLF-normalised body (RFC 1939 §3)."""
    if not body.startswith(b".") and b"\n." not in body:
        return body  # the common case: nothing to stuff, no copy
    return _LEADING_DOT.sub(b"..", body)


@dataclass(frozen=True)
class Pop3Reply:
    """One POP3 server reply: status indicator, first-line text, maybe a multi-line body.

    ``line`` is the text after the status (may be empty). ``body`` (CRLF
    lines, not yet dot-stuffed) makes it a multi-line reply. ``closes`` says
    the server closes the connection after sending it. The interface the
    session uses is the same as SMTP's :class:`~.base.Reply`.
    """

    code: str
    line: str
    key: str
    body: Optional[bytes] = None
    closes: bool = False

    def __post_init__(self) -> None:
        if self.body is not None:
            object.__setattr__(self, "body", normalize_lines(self.body))

    # wire() and text are built once per reply and kept in the instance's
    # __dict__ (not a field: equality and repr ignore them). A RETR reply is
    # shared through the store's cache by every session that reads the message.
    @property
    def status_line(self) -> str:
        return f"{self.code} {self.line}" if self.line else self.code

    def wire(self) -> bytes:
        """The reply as sent: the status line, then the dot-stuffed body and "." for a multi-line one."""
        cached = self.__dict__.get("_wire")
        if cached is None:
            head = self.status_line.encode("ascii") + b"\r\n"
            cached = head if self.body is None else head + dot_stuff(self.body) + b".\r\n"
            self.__dict__["_wire"] = cached
        return cached

    @property
    def text(self) -> str:
        """The wire form for transcripts: lines joined by LF, a big body cut to 16 KiB."""
        cached = self.__dict__.get("_text")
        if cached is None:
            cached = self.__dict__["_text"] = self._transcript_text()
        return cached

    def _transcript_text(self) -> str:
        if self.body is None:
            return self.status_line
        # The dot-stuffed body is the wire form between the status line and the final ".":
        # decoded from there without copying it first.
        wire = self.wire()
        stuffed = memoryview(wire)[len(self.status_line) + 2:len(wire) - 3]
        if len(stuffed) > MAX_TRANSCRIPT_BODY:
            return self._long_text(stuffed.tobytes())
        body = str(stuffed, "utf-8", "replace").replace("\r\n", "\n")
        return f"{self.status_line}\n{body}."

    def _long_text(self, stuffed: bytes) -> str:
        cut = stuffed.rfind(b"\r\n", 0, MAX_TRANSCRIPT_BODY) + 2
        shown = stuffed[:cut or MAX_TRANSCRIPT_BODY]
        rest = len(stuffed) - len(shown)
        body = shown.decode("utf-8", "replace").replace("\r\n", "\n")
        body += ("" if body.endswith("\n") else "\n") + f"... ({rest} more octets)\n"
        return f"{self.status_line}\n{body}."

    @property
    def ok(self) -> bool:
        """A positive reply: a fault that answers so lets the command stand."""
        return self.code == OK

    @property
    def multiline(self) -> bool:
        return self.body is not None


ADVICE: dict[str, Text] = {
    "continue": _t("Carry on: send the next command.",
                   "Продолжайте: посылайте следующую команду."),
    "read_text": _t("The command was refused and changed nothing. POP3 has no error numbers: read the text (and the [CODE] in brackets, if any), fix the command or send another.",
                    "Команда отклонена и ничего не изменила. В POP3 нет номеров ошибок: прочитайте текст (и [КОД] в скобках, если он есть), исправьте команду или пошлите другую."),
    "close": _t("The connection ends: the server closes it after this reply.",
                "Соединение заканчивается: после этого ответа сервер его закрывает."),
    "retry_later": _t("The server cannot serve you now: try again later.",
                      "Сейчас сервер не может вас обслужить: попробуйте позже."),
}


@dataclass(frozen=True)
class CommandAdvice:
    advice: str
    why: Text


@dataclass(frozen=True)
class CodeInfo:
    """One status indicator. ``reply_class`` is the SMTP class it is drawn like (2 or 5)."""

    code: str
    reply_class: int
    meaning: Text
    advice: str
    rfc: str
    lecture: Optional[Text] = None
    note: Optional[Text] = None
    advice_by_command: dict[str, CommandAdvice] = field(default_factory=dict)

    def advice_for(self, verb: Optional[str] = None) -> str:
        special = self.advice_by_command.get(verb or "")
        return special.advice if special else self.advice


def _by(**entries: tuple[str, str, str]) -> dict[str, CommandAdvice]:
    return {verb: CommandAdvice(a, _t(en, ru)) for verb, (a, en, ru) in entries.items()}


CODES: dict[str, CodeInfo] = {
    OK: CodeInfo(
        OK, 2, _t("Positive: the command succeeded. A multi-line reply (LIST, RETR, TOP, UIDL, CAPA) follows this line and ends with a line holding only a period.",
                  "Положительный ответ: команда выполнена. За этой строкой может идти многострочный ответ (LIST, RETR, TOP, UIDL, CAPA), который заканчивается строкой из одной точки."),
        "continue", "RFC 1939 §3",
        lecture=_t("OK, the answer to each step of the POP3 figure", "OK — ответ на каждом шаге рисунка о POP3"),
        note=_t("The lecture's figure answers each step with OK; on the wire the indicator is \"+OK\" with a plus sign, and the text after it is free-form, for people.",
                "На рисунке лекции каждый шаг подтверждается ответом OK; в самом протоколе это «+OK» со знаком плюс, а текст после него произвольный и предназначен для людей."),
        advice_by_command=_by(QUIT=("close", "After QUIT the server enters the UPDATE state, removes the messages marked with DELE and closes the connection.",
                                    "После QUIT сервер переходит в состояние UPDATE, удаляет помеченные командой DELE сообщения и закрывает соединение."))),
    ERR: CodeInfo(
        ERR, 5, _t("Negative: the command failed (unknown, wrong arguments, not allowed in this state, or refused). The session state has not changed.",
                   "Отрицательный ответ: команда не выполнена (неизвестна, неверные аргументы, недопустима в этом состоянии или отклонена). Состояние сеанса не изменилось."),
        "read_text", "RFC 1939 §3; RFC 2449 §8",
        note=_t("Unlike SMTP, POP3 does not tell a temporary failure from a permanent one by the status alone; RFC 2449 adds response codes in brackets, such as [IN-USE] or [SYS/TEMP], for that.",
                "В отличие от SMTP, по одному статусу POP3 нельзя отличить временную ошибку от постоянной; для этого RFC 2449 добавляет коды ответа в скобках, например [IN-USE] или [SYS/TEMP]."),
        advice_by_command=_by(
            greeting=("retry_later", "The server refused the connection instead of greeting it and closes it: try again later.",
                      "Вместо приветствия сервер отказал в соединении и закрывает его: попробуйте позже."),
            PASS=("read_text", "Check the user name and password and log in again with USER and PASS; with [IN-USE], another session holds the maildrop: try again when it has ended.",
                  "Проверьте имя и пароль и снова войдите командами USER и PASS; при [IN-USE] ящик занят другим сеансом: повторите, когда тот завершится."),
            APOP=("read_text", "Check the user name and the digest (MD5 of the greeting's <timestamp> followed by the password); with [IN-USE], try again later.",
                  "Проверьте имя и дайджест (MD5 от <метки> из приветствия, к которой приписан пароль); при [IN-USE] повторите позже."),
            QUIT=("close", "The server could not remove every message marked for deletion; they stay in the maildrop. The connection closes anyway.",
                  "Сервер не смог удалить все помеченные сообщения; они остались в ящике. Соединение всё равно закрывается."))),
}

CLASSES: dict[int, dict[str, Text]] = {
    2: {"name": _t("Positive (+OK)", "Положительный (+OK)"),
        "meaning": _t("The command succeeded.", "Команда выполнена.")},
    5: {"name": _t("Negative (-ERR)", "Отрицательный (-ERR)"),
        "meaning": _t("The command failed; nothing changed.", "Команда не выполнена; ничего не изменилось.")},
}

RESP_CODES: dict[str, dict[str, Any]] = {
    "IN-USE": {"rfc": "RFC 2449 §8.1.1", "meaning": _t(
        "Authentication succeeded, but another session holds the maildrop's exclusive lock (RFC 1939 §8). Try again when it has ended.",
        "Вход выполнен, но ящик монопольно заблокирован другим сеансом (RFC 1939 §8). Повторите, когда тот сеанс завершится.")},
    "LOGIN-DELAY": {"rfc": "RFC 2449 §8.1.2", "meaning": _t(
        "The user logged in too recently; the server asks to wait before the next login. MailSim does not send it.",
        "Пользователь входил слишком недавно; сервер просит подождать до следующего входа. MailSim его не посылает.")},
    "SYS/TEMP": {"rfc": "RFC 3206 §4", "meaning": _t(
        "A temporary problem of the server, not of the user: the same command may work later.",
        "Временная неполадка сервера, а не ошибка пользователя: та же команда может пройти позже.")},
    "SYS/PERM": {"rfc": "RFC 3206 §4", "meaning": _t(
        "A permanent problem of the server: asking again will not help; tell the administrator.",
        "Постоянная неполадка сервера: повторять бесполезно, сообщите администратору.")},
    "AUTH": {"rfc": "RFC 3206 §5", "meaning": _t(
        "The credentials are wrong (user name, password or APOP digest): ask the user for them again.",
        "Неверные учётные данные (имя, пароль или дайджест APOP): нужно снова спросить их у пользователя.")},
}


@dataclass(frozen=True)
class ReplySpec:
    """One catalogue entry. ``row`` is the template of each line of a listing's body."""

    key: str
    code: str
    text: str
    why: Text
    multiline: bool = False
    row: Optional[str] = None
    closes: bool = False


def _r(key: str, text: str, en: str, ru: str, *, multiline: bool = False, row: Optional[str] = None,
       closes: bool = False) -> ReplySpec:
    code = OK if key.startswith("ok.") else ERR
    return ReplySpec(key, code, text, _t(en, ru), multiline or row is not None, row, closes)


REPLIES: dict[str, ReplySpec] = {s.key: s for s in (
    # ---- connection
    _r("ok.greeting", "{host} POP3 server (MailSim) ready {stamp}",
       "The server greets a new connection. The <...> at the end is the timestamp an APOP login hashes with the password.",
       "Сервер приветствует новое соединение. Часть <...> в конце — метка, которую при входе APOP хешируют вместе с паролем."),
    _r("err.greeting", "[SYS/TEMP] {host} POP3 service not available",
       "Instead of +OK the server refused the connection; it closes it now.",
       "Вместо +OK сервер отказал в соединении и сейчас его закроет.", closes=True),
    _r("ok.default", "",
       "A positive reply with no particular text.", "Положительный ответ без особого текста."),
    _r("err.default", "command failed",
       "A negative reply with no particular text.", "Отрицательный ответ без особого текста."),
    _r("ok.quit", "{host} POP3 server signing off",
       "QUIT before logging in: there is nothing to update, so the server just says goodbye and closes.",
       "QUIT до входа: обновлять нечего, сервер просто прощается и закрывает соединение.", closes=True),
    _r("ok.quit_update", "{host} POP3 server signing off ({left} messages left)",
       "QUIT after logging in: the server entered the UPDATE state, removed the messages marked with DELE and closes; the others stay.",
       "QUIT после входа: сервер перешёл в состояние UPDATE, удалил помеченные DELE сообщения и закрывает соединение; остальные остались.",
       closes=True),
    _r("ok.quit_one", "{host} POP3 server signing off (1 message left)",
       "QUIT after logging in: the marked messages are removed; one message stays in the maildrop.",
       "QUIT после входа: помеченные сообщения удалены; в ящике осталось одно сообщение.", closes=True),
    _r("ok.quit_empty", "{host} POP3 server signing off (maildrop empty)",
       "QUIT after logging in: the marked messages are removed and the maildrop is now empty.",
       "QUIT после входа: помеченные сообщения удалены, и ящик теперь пуст.", closes=True),
    _r("err.not_removed", "some deleted messages not removed",
       "In the UPDATE state the server could not remove every message marked with DELE (RFC 1939 §6); it closes anyway.",
       "В состоянии UPDATE сервер не смог удалить все помеченные DELE сообщения (RFC 1939 §6) и всё равно закрывает соединение.",
       closes=True),
    _r("err.too_many_errors", "too many errors, closing connection",
       "The client made too many mistakes in a row of commands; the server gives up on it and closes.",
       "Клиент сделал слишком много ошибок; сервер прекращает с ним работу и закрывает соединение.", closes=True),
    # ---- AUTHORIZATION
    _r("ok.user", "{user} accepted, send PASS",
       "USER names the maildrop. MailSim accepts any name here and checks it only with the password, so that nobody can probe which users exist.",
       "USER называет почтовый ящик. MailSim принимает здесь любое имя и проверяет его только вместе с паролем, чтобы нельзя было выяснить, какие пользователи существуют."),
    _r("ok.login", "{user}'s maildrop has {count} messages ({octets} octets)",
       "The password (or the APOP digest) was right: the maildrop is locked for this session and the TRANSACTION state begins.",
       "Пароль (или дайджест APOP) верен: ящик заблокирован за этим сеансом, начинается состояние TRANSACTION."),
    _r("err.auth_failed", "[AUTH] invalid user name or password",
       "The user name and password do not match a user here. Start again with USER.",
       "Имя и пароль не подходят ни одному пользователю этого сервера. Начните снова с USER."),
    _r("err.apop_failed", "[AUTH] permission denied",
       "The APOP digest is not the MD5 of the greeting's timestamp followed by this user's password.",
       "Дайджест APOP не совпадает с MD5 от метки из приветствия, к которой приписан пароль этого пользователя."),
    _r("err.in_use", "[IN-USE] {user}'s maildrop is locked by another session",
       "The credentials are right, but another POP3 session has the maildrop locked (RFC 1939 §8). The session stays in AUTHORIZATION.",
       "Учётные данные верны, но ящик заблокирован другим сеансом POP3 (RFC 1939 §8). Сеанс остаётся в состоянии AUTHORIZATION."),
    _r("err.maildrop_unavailable", "[SYS/TEMP] unable to open {user}'s maildrop",
       "The credentials are right, but the server could not read the maildrop.",
       "Учётные данные верны, но сервер не смог прочитать ящик."),
    _r("err.need_user", "send USER first",
       "PASS comes right after USER: it gives the password of the user USER named.",
       "PASS идёт сразу после USER: она сообщает пароль того пользователя, которого назвала USER."),
    _r("err.not_authenticated", "log in first with USER and PASS (or APOP)",
       "This command works only in the TRANSACTION state, after a successful login.",
       "Эта команда работает только в состоянии TRANSACTION, после успешного входа."),
    _r("err.already_authenticated", "already logged in",
       "USER, PASS and APOP belong to the AUTHORIZATION state; this session has logged in already.",
       "USER, PASS и APOP относятся к состоянию AUTHORIZATION; этот сеанс уже выполнил вход."),
    # ---- TRANSACTION
    _r("ok.stat", "{count} {octets}",
       "STAT: the number of messages and their total size in octets, not counting those marked deleted.",
       "STAT: число сообщений и их общий размер в октетах, без помеченных на удаление."),
    _r("ok.list", "{count} messages ({octets} octets)",
       "LIST: one line per message, its number and size in octets; messages marked deleted are left out.",
       "LIST: по строке на сообщение — номер и размер в октетах; помеченные на удаление не показываются.",
       row="{n} {size}"),
    _r("ok.list_one", "{n} {size}",
       "LIST with a number: that message's number and size in octets.",
       "LIST с номером: номер этого сообщения и его размер в октетах."),
    _r("ok.retr", "{octets} octets",
       "RETR: the whole message follows, lines that start with a period doubled, and a line holding only a period ends it.",
       "RETR: далее всё сообщение целиком; строки, начинающиеся с точки, получают вторую точку, а заканчивает ответ строка из одной точки.",
       multiline=True),
    _r("ok.top", "top of message {n} follows",
       "TOP: the message's headers, the blank line after them, and the first lines of its body that were asked for.",
       "TOP: заголовки сообщения, пустая строка после них и запрошенное число первых строк тела.",
       multiline=True),
    _r("ok.dele", "message {n} deleted",
       "DELE only marks the message: it disappears from this session's listings and is removed when QUIT ends the session. RSET unmarks it.",
       "DELE лишь помечает сообщение: оно пропадает из списков этого сеанса, а удаляется, когда QUIT завершит сеанс. RSET снимает пометку."),
    _r("ok.noop", "",
       "NOOP does nothing; the server just answers +OK (handy to keep the connection alive).",
       "NOOP ничего не делает; сервер просто отвечает +OK (удобно, чтобы соединение не закрылось по тайм-ауту)."),
    _r("ok.rset", "maildrop has {count} messages ({octets} octets)",
       "RSET: every message marked with DELE in this session is unmarked.",
       "RSET: со всех помеченных в этом сеансе сообщений снята пометка удаления."),
    _r("ok.uidl", "unique-id listing follows",
       "UIDL: each message's number and its unique id, which stays the same across sessions, so a client in keep mode knows which messages it has already downloaded.",
       "UIDL: номер каждого сообщения и его уникальный идентификатор, который не меняется от сеанса к сеансу; так клиент в режиме хранения знает, какие сообщения уже загрузил.",
       row="{n} {uid}"),
    _r("ok.uidl_one", "{n} {uid}",
       "UIDL with a number: that message's unique id.",
       "UIDL с номером: уникальный идентификатор этого сообщения."),
    _r("ok.capa", "Capability list follows",
       "CAPA (RFC 2449): the optional commands and extensions this server supports, one per line.",
       "CAPA (RFC 2449): необязательные команды и расширения, которые поддерживает сервер, по одному в строке.",
       row="{capability}"),
    _r("err.no_such_message", "no such message, only {count} messages in maildrop",
       "Messages are numbered from 1 to the number the login reported; this number is outside that range.",
       "Сообщения пронумерованы от 1 до числа, названного при входе; этот номер вне диапазона."),
    _r("err.deleted", "message {n} already deleted",
       "The message was marked with DELE in this session; until RSET, any reference to it is an error (RFC 1939 §5).",
       "Сообщение помечено командой DELE в этом сеансе; до RSET любое обращение к нему — ошибка (RFC 1939 §5)."),
    _r("err.message_gone", "message {n} is no longer available",
       "The message was removed from the mailbox by another session (IMAP, say) after this one logged in.",
       "Сообщение удалил из ящика другой сеанс (например, IMAP) уже после входа этого сеанса."),
    # ---- syntax
    _r("err.unknown_command", "unknown command {verb}",
       "The server does not know this command.", "Сервер не знает такой команды."),
    _r("err.not_implemented", "{verb} not implemented",
       "A real POP3 command that MailSim does not offer.", "Настоящая команда POP3, которую MailSim не поддерживает."),
    _r("err.empty_line", "empty command",
       "An empty line is not a command.", "Пустая строка — не команда."),
    _r("err.line_too_long", "command line too long (limit {limit} octets)",
       "A command line may be at most 255 octets with its CRLF (RFC 2449 §4); the rest was thrown away.",
       "Командная строка не длиннее 255 октетов вместе с CRLF (RFC 2449 §4); остаток отброшен."),
    _r("err.nul_byte", "NUL byte in command",
       "The line contains a NUL (zero) byte, which no POP3 command may hold.",
       "В строке есть байт NUL (ноль), которого не может быть ни в одной команде POP3."),
    _r("err.eight_bit", "8-bit characters in command",
       "POP3 commands are ASCII; this line holds bytes above 127 (non-Latin letters, say).",
       "Команды POP3 пишутся в ASCII; в строке есть байты больше 127 (например, нелатинские буквы)."),
    _r("err.missing_argument", "missing argument, usage: {usage}",
       "The command needs an argument that was not given.", "Команде нужен аргумент, а его нет."),
    _r("err.syntax", "too many arguments, usage: {usage}",
       "The command was given more arguments than it takes.", "Команде передано больше аргументов, чем она принимает."),
    _r("err.not_a_number", "not a number: {arg}, usage: {usage}",
       "A message number (or TOP's line count) must be a decimal number.",
       "Номер сообщения (или число строк у TOP) должен быть десятичным числом."),
)}

DEFAULT_KEYS: dict[str, str] = {OK: "ok.default", ERR: "err.default"}
# A fault that replaces the greeting with just a status gets the greeting's wording.
GREETING_KEYS: dict[str, str] = {ERR: "err.greeting"}


def _clean(value: Any) -> str:
    return clean_param(value, MAX_PARAM)


def _fit(code: str, text: str) -> str:
    room = MAX_STATUS_LINE - len(code) - 3  # the space and the CRLF
    return text if len(text) <= room else text[:room - 3] + "..."


def reply(key: str, *, body: Optional[bytes] = None, rows: Optional[Iterable[dict[str, Any]]] = None,
          closes: Optional[bool] = None, **params: Any) -> Pop3Reply:
    """Build the catalogue reply ``key``, filling its placeholders from ``params``.

    A multi-line entry takes its body as ``body`` (message content) or, for a
    listing, as ``rows``: one dict per line for the entry's ``row``
    template. ``host`` defaults to :data:`DEFAULT_HOST`; any other missing
    placeholder is a programming error (``KeyError``).
    """
    spec = REPLIES[key]
    values = {"host": DEFAULT_HOST, **{k: _clean(v) for k, v in params.items()}}
    text = _fit(spec.code, spec.text.format_map(values))
    if spec.row is not None:
        lines = [spec.row.format_map({k: _clean(v) for k, v in row.items()}) for row in rows or ()]
        body = "".join(f"{line}\r\n" for line in lines).encode("ascii")
    elif spec.multiline:
        body = b"" if body is None else body
    else:
        body = None
    return Pop3Reply(spec.code, text, key, body, spec.closes if closes is None else closes)


def default_reply(code: str, text: Optional[str] = None, *, body: Optional[bytes] = None,
                  closes: bool = False) -> Pop3Reply:
    """The catalogue's default reply for ``code`` ("+OK"/"-ERR"; ``KeyError`` otherwise).

    With ``text``, that text (cleaned to printable ASCII) is the first line,
    and the key stays the default entry's.
    """
    key = DEFAULT_KEYS[code]
    line = REPLIES[key].text if text is None else "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return Pop3Reply(code, _fit(code, line), key, body, closes)


def capability_rows() -> list[dict[str, str]]:
    return [{"capability": c} for c in CAPABILITIES]


@dataclass(frozen=True)
class CommandInfo:
    """One POP3 verb. ``lecture`` is the lecture's wording of the step (None if absent)."""

    verb: str
    syntax: str
    meaning: Text
    rfc: str
    states: tuple[str, ...]
    lecture: Optional[Text] = None
    note: Optional[Text] = None
    multiline: bool = False


def _cmd(verb: str, syntax: str, rfc: str, states: tuple[str, ...], en: str, ru: str, *,
         lecture: Optional[tuple[str, str]] = None, note: Optional[tuple[str, str]] = None,
         multiline: bool = False) -> CommandInfo:
    return CommandInfo(verb, syntax, _t(en, ru), rfc, states, _t(*lecture) if lecture else None,
                       _t(*note) if note else None, multiline)


_AUTH, _TRANS, _BOTH = ("authorization",), ("transaction",), ("authorization", "transaction")

COMMANDS: dict[str, CommandInfo] = {c.verb: c for c in (
    _cmd("USER", "USER name", "RFC 1939 §7", _AUTH,
         "Names the user (the maildrop) to log in as; PASS must follow.",
         "Называет пользователя (почтовый ящик), от имени которого выполняется вход; затем должна идти PASS.",
         lecture=("user name", "имя пользователя"),
         note=("MailSim accepts the login name in any case, and the full address (bob@example.org) too.",
               "MailSim принимает имя в любом регистре, а также полный адрес (bob@example.org).")),
    _cmd("PASS", "PASS string", "RFC 1939 §7", _AUTH,
         "Gives the password of the user named by USER. If it is right, the maildrop is locked and the TRANSACTION state begins.",
         "Сообщает пароль пользователя, названного в USER. Если пароль верен, ящик блокируется и начинается состояние TRANSACTION.",
         lecture=("password", "пароль"),
         note=("The password crosses the network in clear text; real servers accept USER/PASS only inside TLS (STLS, or port 995).",
               "Пароль передаётся по сети открытым текстом; настоящие серверы принимают USER/PASS только внутри TLS (STLS или порт 995).")),
    _cmd("APOP", "APOP name digest", "RFC 1939 §7", _AUTH,
         "Logs in without sending the password: the digest is MD5 of the greeting's <timestamp> followed by the password, in 32 lower-case hex digits.",
         "Вход без передачи пароля: дайджест — это MD5 от <метки> из приветствия, к которой приписан пароль, 32 шестнадцатеричные цифры в нижнем регистре.",
         note=("Not in the lecture. MD5 is broken today, so APOP is no longer considered safe; TLS replaced it.",
               "В лекции её нет. MD5 сегодня взломан, поэтому APOP больше не считается надёжной; её место занял TLS.")),
    _cmd("STAT", "STAT", "RFC 1939 §5", _TRANS,
         "Asks for the number of messages and their total size (\"+OK count octets\").",
         "Запрашивает число сообщений и их общий размер («+OK число октеты»)."),
    _cmd("LIST", "LIST [msg]", "RFC 1939 §5", _TRANS,
         "Lists each message's number and size in octets; with a number, only that message.",
         "Перечисляет номера сообщений и их размеры в октетах; с номером — только для этого сообщения.",
         lecture=("list: message numbers and sizes", "список: номера и размеры сообщений"), multiline=True),
    _cmd("RETR", "RETR msg", "RFC 1939 §5", _TRANS,
         "Retrieves one whole message.", "Получает (извлекает) одно сообщение целиком.",
         lecture=("retrieve", "получить (извлечь) сообщение"), multiline=True),
    _cmd("DELE", "DELE msg", "RFC 1939 §5", _TRANS,
         "Marks a message as deleted; it is removed only when QUIT ends the session.",
         "Помечает сообщение на удаление; удаляется оно только тогда, когда QUIT завершит сеанс.",
         lecture=("delete mode: each retrieved message is deleted", "режим удаления: каждое полученное сообщение удаляется"),
         note=("The lecture says messages are deleted after retrieval; in RFC 1939 the client asks for it with DELE, and the server removes them only in the UPDATE state after QUIT. A broken connection deletes nothing.",
               "В лекции сказано, что сообщения удаляются после получения; по RFC 1939 клиент просит об этом командой DELE, а сервер удаляет их только в состоянии UPDATE после QUIT. Оборванное соединение ничего не удаляет.")),
    _cmd("NOOP", "NOOP", "RFC 1939 §5", _TRANS,
         "Does nothing; the server answers +OK.", "Ничего не делает; сервер отвечает +OK."),
    _cmd("RSET", "RSET", "RFC 1939 §5", _TRANS,
         "Unmarks every message marked with DELE in this session.",
         "Снимает пометку удаления со всех сообщений, помеченных DELE в этом сеансе."),
    _cmd("QUIT", "QUIT", "RFC 1939 §4, §6", _BOTH,
         "Ends the session. After a login the server enters UPDATE: it removes the marked messages, releases the lock and closes.",
         "Завершает сеанс. После входа сервер переходит в UPDATE: удаляет помеченные сообщения, снимает блокировку и закрывает соединение."),
    _cmd("TOP", "TOP msg n", "RFC 1939 §7", _TRANS,
         "Sends a message's headers, the blank line, and the first n lines of its body (n may be 0).",
         "Присылает заголовки сообщения, пустую строку и первые n строк тела (n может быть 0).",
         note=("Optional in RFC 1939; announced by CAPA as TOP. Lets a client look at headers before downloading a large message.",
               "Необязательна по RFC 1939; CAPA объявляет её как TOP. Позволяет посмотреть заголовки, прежде чем загружать большое сообщение."),
         multiline=True),
    _cmd("UIDL", "UIDL [msg]", "RFC 1939 §7", _TRANS,
         "Lists each message's unique id, which never changes between sessions.",
         "Перечисляет уникальные идентификаторы сообщений, которые не меняются от сеанса к сеансу.",
         lecture=("keep mode: messages stay on the server", "режим хранения: сообщения остаются на сервере"),
         note=("Keep mode needs UIDL: message numbers start again from 1 in every session, so only the unique id tells the client which messages it already has.",
               "Режиму хранения нужна UIDL: номера сообщений в каждом сеансе начинаются заново с 1, и только уникальный идентификатор говорит клиенту, какие сообщения у него уже есть."),
         multiline=True),
    _cmd("CAPA", "CAPA", "RFC 2449 §5", _BOTH,
         "Asks which optional commands and extensions the server supports.",
         "Спрашивает, какие необязательные команды и расширения поддерживает сервер.",
         note=("Added by RFC 2449 (1998), after the lecture's source; allowed before and after login.",
               "Добавлена в RFC 2449 (1998), позже источника лекции; допустима и до, и после входа."),
         multiline=True),
)}

MODES: dict[str, dict[str, Any]] = {
    "delete": {
        "name": _t("Delete mode", "Режим удаления"),
        "commands": ["USER", "PASS", "LIST", "RETR", "DELE", "QUIT"],
        "meaning": _t("The client downloads each message and has it deleted from the server: RETR, then DELE, for each; QUIT makes the deletions happen. Suits one computer that keeps all the mail.",
                      "Клиент загружает каждое сообщение и просит удалить его с сервера: для каждого RETR, затем DELE; удаление происходит по QUIT. Подходит, когда вся почта хранится на одном компьютере."),
        "note": _t("In the lecture a message is deleted right after retrieval. In RFC 1939 DELE only marks it; the server removes marked messages in the UPDATE state after QUIT, so a connection that breaks halfway loses nothing.",
                   "В лекции сообщение удаляется сразу после получения. По RFC 1939 DELE лишь помечает его; сервер удаляет помеченные сообщения в состоянии UPDATE после QUIT, поэтому при обрыве соединения ничего не теряется."),
    },
    "keep": {
        "name": _t("Keep mode", "Режим хранения"),
        "commands": ["USER", "PASS", "LIST", "UIDL", "RETR", "QUIT"],
        "meaning": _t("The client downloads messages but never sends DELE: they stay on the server, so the mail can be read from several computers.",
                      "Клиент загружает сообщения, но не посылает DELE: они остаются на сервере, и почту можно читать с нескольких компьютеров."),
        "note": _t("Message numbers are per session, so a keep-mode client remembers the UIDL ids of what it has downloaded. For real work on the server (folders, search, flags) the lecture's answer is IMAP4.",
                   "Номера сообщений действуют только в пределах сеанса, поэтому клиент в режиме хранения запоминает идентификаторы UIDL уже загруженных писем. Для настоящей работы с почтой на сервере (папки, поиск, флаги) лекция предлагает IMAP4."),
    },
}

STATES: dict[str, dict[str, Text]] = {
    "authorization": {"name": _t("AUTHORIZATION", "AUTHORIZATION (авторизация)"), "meaning": _t(
        "After the greeting: the client identifies itself with USER and PASS (or APOP).",
        "После приветствия: клиент называет себя командами USER и PASS (или APOP).")},
    "transaction": {"name": _t("TRANSACTION", "TRANSACTION (транзакция)"), "meaning": _t(
        "After a successful login: the maildrop is locked for this session; the client lists, retrieves and marks messages for deletion.",
        "После успешного входа: ящик заблокирован за этим сеансом; клиент просматривает список, получает сообщения и помечает их на удаление.")},
    "update": {"name": _t("UPDATE", "UPDATE (обновление)"), "meaning": _t(
        "After QUIT in TRANSACTION: the server removes the marked messages, releases the lock and closes. Only QUIT leads here, never a broken connection.",
        "После QUIT в состоянии TRANSACTION: сервер удаляет помеченные сообщения, снимает блокировку и закрывает соединение. Сюда ведёт только QUIT, но не обрыв связи.")},
    "closed": {"name": _t("Closed", "Закрыто"), "meaning": _t(
        "The connection is over; nothing more is read.", "Соединение завершено; больше ничего не читается.")},
}

NOTES: dict[str, Text] = {
    "status": _t("POP3 replies have no numbers: +OK means done, -ERR means refused. MailSim draws +OK like an SMTP 2yz reply and -ERR like a 5yz one.",
                 "У ответов POP3 нет номеров: +OK — выполнено, -ERR — отказ. MailSim рисует +OK как ответ SMTP 2yz, а -ERR — как 5yz."),
    "multiline": _t("A multi-line reply ends with a line holding only a period; a line of the message that starts with a period gets a second one (byte-stuffing), which the client removes.",
                    "Многострочный ответ заканчивается строкой из одной точки; строке сообщения, начинающейся с точки, добавляется вторая точка (byte-stuffing), которую клиент убирает."),
    "line_endings": _t("POP3 lines end with CRLF. So that people can type commands with nc or telnet, MailSim also ends a command line at a bare LF.",
                       "Строки POP3 заканчиваются CRLF. Чтобы команды можно было набирать в nc или telnet, MailSim завершает командную строку и по одиночному LF."),
    "timeout": _t("When the idle timer (at least 10 minutes) runs out, the server closes without a reply and without entering UPDATE: nothing is deleted (RFC 1939 §3).",
                  "Когда истекает таймер бездействия (не меньше 10 минут), сервер закрывает соединение без ответа и без перехода в UPDATE: ничего не удаляется (RFC 1939 §3)."),
    "lock": _t("While a session is in TRANSACTION, the maildrop is locked: a second login to the same maildrop gets -ERR [IN-USE].",
               "Пока сеанс в состоянии TRANSACTION, ящик заблокирован: второй вход в тот же ящик получает -ERR [IN-USE]."),
}


def catalogue_for_ui() -> dict:
    """Everything above as JSON-able data, both languages, in the shape of the SMTP catalogue's."""
    keys_by_code: dict[str, list[str]] = {}
    for key, spec in REPLIES.items():
        keys_by_code.setdefault(spec.code, []).append(key)
    return {
        "protocol": "pop3",
        "codes": {code: {
            "code": code, "class": info.reply_class, "category": None,
            "meaning": info.meaning, "lecture": info.lecture, "note": info.note,
            "advice": info.advice, "rfc": info.rfc, "default": DEFAULT_KEYS[code],
            "advice_by_command": {v: {"advice": a.advice, "why": a.why} for v, a in info.advice_by_command.items()},
            "replies": keys_by_code.get(code, []),
        } for code, info in CODES.items()},
        "replies": {key: {"code": s.code, "text": [s.text], "row": s.row, "multiline": s.multiline,
                          "closes": s.closes, "why": s.why} for key, s in REPLIES.items()},
        "commands": {verb: {"verb": verb, "syntax": c.syntax, "meaning": c.meaning, "lecture": c.lecture,
                            "rfc": c.rfc, "states": list(c.states), "multiline": c.multiline,
                            "obsolete": False, "note": c.note, "aliases": []}
                     for verb, c in COMMANDS.items()},
        "classes": {str(n): dict(v) for n, v in CLASSES.items()},
        "categories": {},
        "advice": ADVICE,
        "resp_codes": {name: dict(v) for name, v in RESP_CODES.items()},
        "capabilities": list(CAPABILITIES),
        "modes": {name: dict(v) for name, v in MODES.items()},
        "states": {name: dict(v) for name, v in STATES.items()},
        "notes": dict(NOTES),
    }
