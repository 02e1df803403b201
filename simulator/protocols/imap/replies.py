"""The IMAP4rev1 reply catalogue: every status response the engine sends, and what it means.

The single source of IMAP reply wording, like ``replies.py`` for SMTP. The
engine builds every reply with :func:`reply`; fault rules that name only a
code get :func:`default_reply`; the browser explains a reply from
:func:`catalogue_for_ui`.

An IMAP reply (:class:`ImapReply`) is what the server sends for one input:
zero or more untagged data lines (``* 3 EXISTS``, ``* 1 FETCH (...)``,
literals included) and then one final line: the tagged status (``A1 OK ...``),
a command continuation request (``+ ...``), or an untagged ``* OK``/``* BYE``
(the greeting, a forced logout). Its ``code`` is the final line's status:
"OK", "NO", "BAD", "BYE", "PREAUTH" or "+".

Levels of description:

* ``CODES``: the five status words and "+", with their meaning, what a client
  should do next, and a class digit for the diagram's colours (2 done,
  3 send more, 4 refused, 5 protocol error).
* ``REPLIES``: one specific final line (``"no.trycreate"``): code, template,
  whether it is tagged, and ``why``.
* ``COMMANDS``: each IMAP verb with its syntax, meaning, the states that
  allow it and the lecture's IMAP feature it serves.
* ``UNTAGGED``: the untagged data responses (EXISTS, FETCH, LIST...).
* ``STATES``: RFC 3501 §3's four states.

Bilingual texts are dicts ``{"en": ..., "ru": ...}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from simulator.protocols.catalogue import Text, clean_param
from simulator.protocols.catalogue import bilingual as _t
from simulator.protocols.imap.commands import ANY, AUTH, COMMANDS, FEATURES, SEL, CommandInfo  # noqa: F401  (part of this catalogue)

DEFAULT_HOST = "mx.example.org"
# What the server announces (RFC 3501 §7.2.1) before and after authentication.
CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR CHILDREN ID NAMESPACE IDLE AUTH=PLAIN"
CAPABILITIES_AUTHENTICATED = "IMAP4rev1 LITERAL+ SASL-IR CHILDREN ID NAMESPACE IDLE"
# Values put into a template (mailbox names, verbs the client typed) are cut here.
MAX_PARAM = 200
# Transcripts show at most this much of each literal, and of a whole reply.
TEXT_LITERAL_LIMIT = 16 * 1024
TEXT_LIMIT = 256 * 1024

ADVICE: dict[str, Text] = {
    "continue": _t("Carry on: send the next command.",
                   "Продолжайте: посылайте следующую команду."),
    "send_more": _t("The server waits for more from the client: the literal's octets, the authentication response, or DONE to end IDLE.",
                    "Сервер ждёт продолжения от клиента: октетов литерала, ответа при аутентификации или DONE, завершающего IDLE."),
    "try_other": _t("The command was understood but could not be done. Read the response code in brackets: after [TRYCREATE] create the folder and retry; after [AUTHENTICATIONFAILED] check the password; otherwise report the failure to the user.",
                    "Команда понята, но выполнить её нельзя. Посмотрите код в квадратных скобках: после [TRYCREATE] создайте папку и повторите; после [AUTHENTICATIONFAILED] проверьте пароль; в остальных случаях сообщите об ошибке пользователю."),
    "fix": _t("A protocol error: the command is malformed, unknown, or not allowed in this state. Sending it again unchanged fails again; fix the client (or the typing).",
              "Ошибка протокола: команда записана неверно, неизвестна или недопустима в этом состоянии. Повтор без изменений снова закончится ошибкой; исправьте клиента (или набранную строку)."),
    "close": _t("The connection ends: the server closes it after this response.",
                "Соединение завершается: после этого ответа сервер его закрывает."),
}

CLASSES: dict[int, dict[str, Text]] = {
    2: {"name": _t("Done", "Выполнено"),
        "meaning": _t("OK or PREAUTH: the command (or the connection) succeeded.",
                      "OK или PREAUTH: команда (или соединение) выполнена успешно.")},
    3: {"name": _t("Send more", "Продолжайте"),
        "meaning": _t("\"+\": a command continuation request; the server needs more of the command before it can answer.",
                      "«+»: запрос продолжения команды; серверу нужно остальное, прежде чем он сможет ответить.")},
    4: {"name": _t("Refused", "Отказ"),
        "meaning": _t("NO: the command failed; BYE: the server is closing the connection.",
                      "NO: команда не выполнена; BYE: сервер закрывает соединение.")},
    5: {"name": _t("Protocol error", "Ошибка протокола"),
        "meaning": _t("BAD: the server could not accept the command at all (syntax, unknown command, wrong state).",
                      "BAD: сервер вообще не смог принять команду (синтаксис, неизвестная команда, неподходящее состояние).")},
}

NOTES: dict[str, Text] = {
    "no_transient_split": _t(
        "SMTP's reply codes say whether a failure is temporary (4yz) or permanent (5yz). IMAP has no such split: a command ends with OK (done), NO (understood, but it failed: no such folder, wrong password) or BAD (not understood: syntax error, unknown command, wrong state). BYE is not an answer to a command: it announces that the server is closing the connection (after LOGOUT, or on its own). Whether trying again makes sense is told by the response code in brackets (RFC 5530), such as [TRYCREATE], [UNAVAILABLE] or [AUTHENTICATIONFAILED].",
        "Коды ответов SMTP сообщают, временная ли неудача (4yz) или постоянная (5yz). В IMAP такого деления нет: команда заканчивается ответом OK (выполнено), NO (понято, но не получилось: нет такой папки, неверный пароль) или BAD (не понято: синтаксическая ошибка, неизвестная команда, неподходящее состояние). BYE — не ответ на команду: он объявляет, что сервер закрывает соединение (после LOGOUT или по своей инициативе). Есть ли смысл повторять, подсказывает код в квадратных скобках (RFC 5530), например [TRYCREATE], [UNAVAILABLE] или [AUTHENTICATIONFAILED]."),
    "tags": _t(
        "Each client command starts with a tag of the client's choosing (A1, A2...). The server's final answer to that command repeats the tag; lines starting with \"*\" are untagged data the server sends along the way (or at any time: new mail, flag changes), and \"+\" asks the client to send the rest of the command. So a client may send several commands without waiting and match the answers by their tags.",
        "Каждая команда клиента начинается с метки, выбранной клиентом (A1, A2...). Окончательный ответ сервера на эту команду повторяет метку; строки, начинающиеся со «*», — непомеченные данные, которые сервер присылает по ходу дела (или в любой момент: новая почта, изменение флагов), а «+» просит клиента прислать остаток команды. Поэтому клиент может послать несколько команд, не дожидаясь ответов, и сопоставить ответы по меткам."),
    "lecture": _t(
        "The lecture lists what IMAP4 (port 143) adds to POP3: look at a message's header before downloading it (FETCH BODY.PEEK[HEADER], ENVELOPE), search on the server (SEARCH), download part of a message (FETCH BODY[1]<0.1024>), and create, delete and rename folders arranged in a hierarchy (CREATE, DELETE, RENAME, LIST). The lecture does not describe the protocol itself; MailSim follows RFC 3501 (IMAP4rev1).",
        "В лекции перечислено, что IMAP4 (порт 143) добавляет к POP3: просмотреть заголовок письма до его загрузки (FETCH BODY.PEEK[HEADER], ENVELOPE), искать на сервере (SEARCH), загрузить письмо частично (FETCH BODY[1]<0.1024>), создавать, удалять и переименовывать папки, образующие иерархию (CREATE, DELETE, RENAME, LIST). Сам протокол лекция не описывает; MailSim следует RFC 3501 (IMAP4rev1)."),
    "literals": _t(
        "A string the client cannot quote (a password with a quote sign, a whole message for APPEND) is sent as a literal: {n} ends the line, the server answers \"+ Ready for literal data\", then exactly n octets follow. With LITERAL+ (RFC 7888), {n+} means \"no need to wait for the +\". A literal bigger than the server accepts is refused before any of it is sent.",
        "Строку, которую клиент не может взять в кавычки (пароль с кавычкой, целое письмо для APPEND), он посылает литералом: строка заканчивается на {n}, сервер отвечает «+ Ready for literal data», и затем идут ровно n октетов. С расширением LITERAL+ (RFC 7888) запись {n+} означает «ждать + не нужно». Литерал больше допустимого сервер отвергает до того, как он будет послан."),
    "line_endings": _t(
        "IMAP lines end with CRLF. So that people can type commands with nc or telnet, MailSim also ends a command line at a bare LF.",
        "Строки IMAP заканчиваются парой CRLF. Чтобы команды можно было набирать в nc или telnet, MailSim завершает командную строку и по одиночному LF."),
    "recent": _t(
        "\\Recent marks a message no IMAP session has been told about yet. MailSim approximates it per session: a message is recent for a session if it arrived after the session selected the folder, or if it was there at SELECT, is not \\Seen, and this session had not reported it before.",
        "Флаг \\Recent отмечает письмо, о котором ещё не сообщалось ни одному сеансу IMAP. MailSim считает его приближённо, для каждого сеанса отдельно: письмо новое для сеанса, если оно пришло после того, как сеанс выбрал папку, или было в папке при SELECT, не помечено \\Seen и этот сеанс о нём ещё не сообщал."),
    "mailbox_names": _t(
        "Folder names use \"/\" as the hierarchy delimiter (LIST \"\" \"\" says so). Names with non-ASCII letters travel in modified UTF-7 (RFC 3501 §5.1.3): the German \"Entwürfe\" (drafts) is \"Entw&APw-rfe\" on the wire.",
        "В именах папок разделителем иерархии служит «/» (об этом сообщает LIST \"\" \"\"). Имена с буквами не из ASCII передаются в модифицированной кодировке UTF-7 (RFC 3501 §5.1.3): «Входящие» в канале выглядит как \"&BBIERQQ+BDQETwRJBDgENQ-\"."),
}


@dataclass(frozen=True)
class CodeInfo:
    """One status word (or "+"). ``reply_class`` is the diagram's colour digit."""

    code: str
    reply_class: int
    meaning: Text
    advice: str
    rfc: str
    note: Optional[Text] = None


CODES: dict[str, CodeInfo] = {c.code: c for c in (
    CodeInfo("OK", 2, _t("The command completed successfully (or, untagged, an informational message such as the greeting).",
                         "Команда успешно выполнена (а без метки — информационное сообщение, например приветствие)."),
             "continue", "RFC 3501 §7.1.1"),
    CodeInfo("PREAUTH", 2, _t("Greeting only: the connection is already authenticated by outside means, so LOGIN is not needed.",
                              "Только в приветствии: соединение уже аутентифицировано внешними средствами, поэтому LOGIN не нужен."),
             "continue", "RFC 3501 §7.1.4",
             note=_t("A fault that makes the greeting PREAUTH logs the session in as the world's first user.",
                     "Сбой, превращающий приветствие в PREAUTH, открывает сеанс от имени первого пользователя мира.")),
    CodeInfo("+", 3, _t("Command continuation request: the server is ready for the rest of the command (a literal, an authentication response) or, after IDLE, is waiting for DONE.",
                        "Запрос продолжения команды: сервер готов принять остаток команды (литерал, ответ аутентификации) или после IDLE ждёт DONE."),
             "send_more", "RFC 3501 §7.5"),
    CodeInfo("NO", 4, _t("The command was understood but failed: no such folder, wrong password, read-only folder...",
                         "Команда понята, но не выполнена: нет такой папки, неверный пароль, папка только для чтения..."),
             "try_other", "RFC 3501 §7.1.2"),
    CodeInfo("BYE", 4, _t("The server is about to close the connection: after LOGOUT, after an idle timeout, or because it cannot go on.",
                          "Сервер сейчас закроет соединение: после LOGOUT, по тайм-ауту бездействия или потому, что не может продолжать."),
             "close", "RFC 3501 §7.1.5"),
    CodeInfo("BAD", 5, _t("Protocol error: the command is unknown, malformed, or not allowed in the current state.",
                          "Ошибка протокола: команда неизвестна, записана неверно или недопустима в текущем состоянии."),
             "fix", "RFC 3501 §7.1.3"),
)}

GREETING_CODES = ("OK", "PREAUTH", "BYE")


@dataclass(frozen=True)
class ReplySpec:
    """One catalogue entry: the final line's code and text template, and why the server says it.

    ``tagged`` is False for lines that are always untagged (greeting, BYE,
    a line whose tag could not be read); ``final`` is False for a batch of
    untagged updates with no final line (what IDLE's poll sends);
    ``closes`` marks the answer after which the server closes (LOGOUT).
    """

    key: str
    code: str
    text: str
    why: Text
    tagged: bool = True
    final: bool = True
    closes: bool = False


def _r(key: str, text: str, en: str, ru: str, **kw: Any) -> ReplySpec:
    code = {"ok": "OK", "no": "NO", "bad": "BAD", "bye": "BYE", "preauth": "PREAUTH", "cont": "+"}[key.split(".")[0]]
    if code in ("BYE", "PREAUTH"):
        kw.setdefault("tagged", False)
    return ReplySpec(key, code, text, _t(en, ru), **kw)


REPLIES: dict[str, ReplySpec] = {r.key: r for r in (
    # -- greeting and BYE
    _r("ok.greeting", "[CAPABILITY {caps}] {host} IMAP4rev1 MailSim ready",
       "The server greets a new connection and lists what it can do; the client must now log in.",
       "Сервер приветствует новое соединение и перечисляет свои возможности; теперь клиент должен войти в систему.",
       tagged=False),
    _r("preauth.greeting", "[CAPABILITY {caps}] {host} IMAP4rev1 MailSim ready, already authenticated",
       "The greeting says the connection is already authenticated, so the session starts in the authenticated state.",
       "Приветствие сообщает, что соединение уже аутентифицировано, поэтому сеанс начинается в состоянии «аутентифицирован»."),
    _r("bye.unavailable", "{host} IMAP service not available, closing connection",
       "The server refuses to serve this connection and closes it.",
       "Сервер отказывается обслуживать это соединение и закрывает его."),
    _r("bye.autologout", "Autologout; idle for too long",
       "The client sent nothing for too long; the server logs it out (RFC 3501 §5.4: at least 30 minutes).",
       "Клиент слишком долго ничего не посылал; сервер завершает сеанс (RFC 3501 §5.4: не раньше чем через 30 минут)."),
    _r("bye.too_many_errors", "Too many invalid commands, closing connection",
       "The client sent one protocol error after another; the server gives up on it.",
       "Клиент присылал одну ошибочную команду за другой; сервер прекращает с ним работу."),
    _r("bye.too_many_auth", "Too many authentication failures, closing connection",
       "Wrong passwords several times in a row: the server closes the connection to slow down password guessing.",
       "Несколько неверных паролей подряд: сервер закрывает соединение, чтобы затруднить подбор пароля."),
    _r("bye.mailbox_gone", "Selected mailbox was deleted or replaced by another session, closing connection",
       "Another session deleted (or re-created) the folder this session had selected; the messages it knew are gone.",
       "Другой сеанс удалил (или создал заново) папку, выбранную в этом сеансе; известные ему письма исчезли."),
    # -- OK
    _r("ok.completed", "Completed", "The command succeeded.", "Команда выполнена."),
    _r("ok.update", "",
       "Untagged updates sent while the client waits in IDLE: new messages, flag changes, expunged messages.",
       "Непомеченные сообщения об изменениях во время IDLE: новые письма, изменения флагов, удалённые письма.",
       tagged=False, final=False),
    _r("ok.capability", "CAPABILITY completed",
       "The server listed its capabilities in the untagged CAPABILITY line before this.",
       "Сервер перечислил свои возможности в непомеченной строке CAPABILITY перед этим ответом."),
    _r("ok.noop", "NOOP completed",
       "NOOP does nothing, but any news (new mail, flag changes) comes as untagged lines before this answer.",
       "NOOP ничего не делает, но все новости (новые письма, изменения флагов) приходят непомеченными строками перед этим ответом."),
    _r("ok.logout", "LOGOUT completed",
       "The server said BYE and completes LOGOUT; then it closes the connection.",
       "Сервер сказал BYE и завершает LOGOUT; затем он закрывает соединение.", closes=True),
    _r("ok.login", "[CAPABILITY {caps}] Logged in",
       "The user name and password are right: the session is now in the authenticated state.",
       "Имя пользователя и пароль верны: сеанс перешёл в состояние «аутентифицирован»."),
    _r("ok.authenticate", "[CAPABILITY {caps}] Authenticated",
       "The SASL PLAIN credentials are right: the session is now in the authenticated state.",
       "Учётные данные SASL PLAIN верны: сеанс перешёл в состояние «аутентифицирован»."),
    _r("ok.select", "[READ-WRITE] SELECT completed",
       "The folder is selected for reading and changing; the untagged lines before say how many messages it has, which are recent, and its UIDVALIDITY.",
       "Папка выбрана для чтения и изменения; непомеченные строки перед этим сообщают, сколько в ней писем, сколько из них новых и какова её UIDVALIDITY."),
    _r("ok.examine", "[READ-ONLY] EXAMINE completed",
       "The folder is selected read-only: reading does not set \\Seen, and STORE and EXPUNGE are refused (APPEND still works on any folder).",
       "Папка выбрана только для чтения: чтение не ставит \\Seen, а STORE и EXPUNGE отклоняются (APPEND работает с любой папкой)."),
    _r("ok.create", "CREATE completed", "The folder was created (with any missing parent folders).",
       "Папка создана (вместе с недостающими родительскими папками)."),
    _r("ok.delete", "DELETE completed", "The folder and its messages were deleted.",
       "Папка и её письма удалены."),
    _r("ok.rename", "RENAME completed", "The folder (and the folders below it) now have the new name.",
       "Папка (вместе с вложенными в неё папками) теперь называется по-новому."),
    _r("ok.subscribe", "SUBSCRIBE completed", "The folder is now in the subscription list (LSUB shows it).",
       "Папка добавлена в список подписки (LSUB её показывает)."),
    _r("ok.unsubscribe", "UNSUBSCRIBE completed", "The folder is no longer in the subscription list.",
       "Папка удалена из списка подписки."),
    _r("ok.list", "LIST completed", "The matching folders were listed in the untagged LIST lines.",
       "Подходящие папки перечислены в непомеченных строках LIST."),
    _r("ok.lsub", "LSUB completed", "The matching subscribed folders were listed in the untagged LSUB lines.",
       "Подходящие папки из подписки перечислены в непомеченных строках LSUB."),
    _r("ok.status", "STATUS completed", "The folder's counters were sent in the untagged STATUS line, without selecting it.",
       "Счётчики папки переданы в непомеченной строке STATUS; выбирать папку для этого не нужно."),
    _r("ok.append", "APPEND completed", "The message was stored in the folder.",
       "Письмо сохранено в папке."),
    _r("ok.check", "CHECK completed", "A checkpoint: MailSim commits every change at once, so there is nothing more to do.",
       "Контрольная точка: MailSim сохраняет все изменения сразу, так что делать больше нечего."),
    _r("ok.close", "CLOSE completed",
       "The folder is closed; messages flagged \\Deleted were removed silently (unless it was opened with EXAMINE).",
       "Папка закрыта; письма с флагом \\Deleted удалены без уведомлений (если она не была открыта через EXAMINE)."),
    _r("ok.expunge", "EXPUNGE completed",
       "Messages flagged \\Deleted were removed; an untagged EXPUNGE line named each one's sequence number.",
       "Письма с флагом \\Deleted удалены; о каждом сообщила непомеченная строка EXPUNGE с его порядковым номером."),
    _r("ok.search", "{verb} completed",
       "The server searched the folder itself; the untagged SEARCH line lists the matching messages.",
       "Сервер сам выполнил поиск в папке; непомеченная строка SEARCH перечисляет подходящие письма."),
    _r("ok.fetch", "{verb} completed",
       "The requested parts of the messages came in untagged FETCH lines (only those parts: a header, a size, a piece of the body).",
       "Запрошенные части писем пришли в непомеченных строках FETCH (только они: заголовок, размер, часть тела)."),
    _r("ok.store", "{verb} completed", "The flags were changed (and, without .SILENT, reported in FETCH lines).",
       "Флаги изменены (и без .SILENT показаны в строках FETCH)."),
    _r("ok.copy", "{verb} completed", "The messages were copied to the other folder, flags included.",
       "Письма скопированы в другую папку вместе с флагами."),
    _r("ok.id", "ID completed", "The server named itself in the untagged ID line (RFC 2971).",
       "Сервер представился в непомеченной строке ID (RFC 2971)."),
    _r("ok.namespace", "NAMESPACE completed", "The untagged NAMESPACE line says folder names start at the top level and use \"/\".",
       "Непомеченная строка NAMESPACE сообщает, что имена папок начинаются с верхнего уровня и используют «/»."),
    _r("ok.idle", "IDLE terminated", "The client sent DONE; the server stops pushing updates and takes commands again.",
       "Клиент прислал DONE; сервер перестаёт присылать изменения и снова принимает команды."),
    # -- NO
    _r("no.failed", "Command failed", "The command could not be done.", "Команду выполнить не удалось."),
    _r("no.auth_failed", "[AUTHENTICATIONFAILED] Authentication failed",
       "The user name or the password is wrong (the server does not say which).",
       "Неверное имя пользователя или пароль (сервер не уточняет, что именно)."),
    _r("no.authz_failed", "[AUTHORIZATIONFAILED] Cannot act as another user",
       "The PLAIN credentials asked to act on behalf of a different user, which MailSim does not allow.",
       "Учётные данные PLAIN просили действовать от имени другого пользователя, чего MailSim не разрешает."),
    _r("no.mechanism", "Unsupported authentication mechanism {mech}",
       "AUTHENTICATE named a SASL mechanism the server does not offer; CAPABILITY lists the ones it does (AUTH=PLAIN).",
       "AUTHENTICATE назвала механизм SASL, которого у сервера нет; CAPABILITY перечисляет доступные (AUTH=PLAIN)."),
    _r("no.nonexistent", "[NONEXISTENT] Mailbox does not exist: {mailbox}",
       "There is no folder by that name (names are case-sensitive, except INBOX).",
       "Папки с таким именем нет (в именах различается регистр, кроме INBOX)."),
    _r("no.trycreate", "[TRYCREATE] Mailbox does not exist: {mailbox}",
       "The target folder of COPY or APPEND does not exist; [TRYCREATE] tells the client it may CREATE it and try again.",
       "Целевой папки COPY или APPEND нет; [TRYCREATE] подсказывает клиенту, что её можно создать (CREATE) и повторить."),
    _r("no.alreadyexists", "[ALREADYEXISTS] Mailbox already exists: {mailbox}",
       "CREATE or RENAME named a folder that is already there.",
       "CREATE или RENAME назвала папку, которая уже существует."),
    _r("no.cannot_delete_inbox", "[CANNOT] INBOX cannot be deleted",
       "INBOX is where new mail arrives; RFC 3501 forbids deleting it.",
       "В INBOX приходит новая почта; RFC 3501 запрещает её удалять."),
    _r("no.has_children", "[CANNOT] Mailbox has folders below it; delete them first: {mailbox}",
       "The folder has sub-folders; MailSim deletes only folders without them.",
       "У папки есть вложенные папки; MailSim удаляет только папки без них."),
    _r("no.bad_name", "[CANNOT] Invalid mailbox name: {mailbox}",
       "The name is empty, has an empty level (\"a//b\", \"/a\") or renames a folder into itself.",
       "Имя пустое, содержит пустой уровень («a//b», «/a») или папку переименовывают внутрь неё самой."),
    _r("no.read_only", "Mailbox is read-only (opened with EXAMINE)",
       "The folder was opened with EXAMINE, so nothing in it may be changed.",
       "Папка открыта через EXAMINE, поэтому ничего в ней менять нельзя."),
    _r("no.badcharset", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset {charset}",
       "SEARCH CHARSET named a character set the server cannot search in; the code lists those it can.",
       "SEARCH CHARSET назвала кодировку, в которой сервер искать не умеет; код перечисляет доступные."),
    _r("no.toobig", "[TOOBIG] Message too big (limit {limit} octets)",
       "The message (or literal) is bigger than the server accepts; it was refused before it was sent.",
       "Письмо (или литерал) больше, чем принимает сервер; оно отвергнуто ещё до передачи."),
    _r("no.empty_message", "[CANNOT] Cannot append an empty message",
       "APPEND brought a message of zero octets.",
       "APPEND принесла письмо нулевой длины."),
    _r("no.expungeissued", "[EXPUNGEISSUED] Some of the requested messages no longer exist",
       "Another session expunged some of these messages; the server answered for the others.",
       "Другой сеанс удалил часть этих писем; сервер ответил только об остальных."),
    _r("no.store_failed", "[UNAVAILABLE] The mail store refused the change; try again",
       "Another session changed the folders at the same moment, and the change could not be made.",
       "Другой сеанс в тот же момент изменил папки, и выполнить изменение не удалось."),
    _r("no.serverbug", "[SERVERBUG] Internal server error",
       "Something went wrong inside the server; this is a MailSim bug worth reporting.",
       "Внутри сервера что-то пошло не так; это ошибка MailSim, о которой стоит сообщить."),
    # -- BAD
    _r("bad.refused", "Command refused", "The server refused the command as a protocol error.",
       "Сервер отверг команду как ошибку протокола."),
    _r("bad.syntax", "Syntax error in {verb}: {detail}",
       "The command's arguments do not follow RFC 3501's grammar.",
       "Аргументы команды не соответствуют грамматике RFC 3501."),
    _r("bad.unknown", "Unknown command {verb}",
       "The server does not know this command (or the extension it belongs to is not offered: see CAPABILITY).",
       "Сервер не знает такой команды (или расширение, к которому она относится, не предлагается: см. CAPABILITY)."),
    _r("bad.missing_command", "Missing command",
       "The line had a tag but no command after it.",
       "В строке была метка, но за ней не было команды."),
    _r("bad.no_tag", "Missing or invalid tag",
       "An IMAP command starts with a tag (A1, a001...) and a space; without a readable tag the server can only answer untagged.",
       "Команда IMAP начинается с метки (A1, a001...) и пробела; не прочитав метку, сервер может ответить только без неё.",
       tagged=False),
    _r("bad.empty", "Empty command line", "The client sent an empty line.", "Клиент прислал пустую строку.",
       tagged=False),
    _r("bad.line_too_long", "Command line too long (limit {limit} octets)",
       "The command line was longer than the server accepts; it was discarded without being stored.",
       "Командная строка длиннее допустимого; она отброшена и не сохранена."),
    _r("bad.nul", "NUL octet in command",
       "IMAP commands (literals included) must not contain the octet 0 (RFC 3501 §9: CHAR8 excludes NUL).",
       "Команды IMAP (включая литералы) не должны содержать октет 0 (RFC 3501 §9: CHAR8 не включает NUL)."),
    _r("bad.literal_too_big", "Literal too big (limit {limit} octets)",
       "The client announced a literal bigger than the server accepts; the server refused it before any of it arrived.",
       "Клиент объявил литерал больше допустимого; сервер отверг его ещё до того, как пришёл хотя бы один октет."),
    _r("bad.not_authenticated", "{verb} needs authentication: log in first",
       "This command works only after LOGIN or AUTHENTICATE.",
       "Эта команда работает только после LOGIN или AUTHENTICATE."),
    _r("bad.not_selected", "{verb} needs a selected mailbox: SELECT or EXAMINE one first",
       "This command acts on the messages of a selected folder, and none is selected.",
       "Эта команда работает с письмами выбранной папки, а папка не выбрана."),
    _r("bad.already_authenticated", "{verb}: already authenticated",
       "The session is already logged in; LOGIN and AUTHENTICATE are allowed only before.",
       "Сеанс уже аутентифицирован; LOGIN и AUTHENTICATE допустимы только до этого."),
    _r("bad.starttls", "STARTTLS is not available on this server",
       "MailSim is a teaching server that speaks plain text only (it does not announce STARTTLS), so clients must do without TLS.",
       "MailSim — учебный сервер, работающий только открытым текстом (STARTTLS он не объявляет), поэтому клиентам придётся обойтись без TLS."),
    _r("bad.extended_list", "Extended LIST (RFC 5258) is not supported; use LIST or LSUB",
       "LIST with selection options or RETURN belongs to the LIST-EXTENDED extension, which this server does not announce.",
       "LIST с параметрами выбора или RETURN относится к расширению LIST-EXTENDED, которого этот сервер не объявляет."),
    _r("bad.auth_cancelled", "AUTHENTICATE cancelled",
       "The client answered the challenge with \"*\", which cancels the authentication (RFC 3501 §6.2.2).",
       "Клиент ответил на запрос строкой «*», что отменяет аутентификацию (RFC 3501 §6.2.2)."),
    _r("bad.auth_base64", "Invalid base64 in authentication data",
       "The authentication response must be base64; this was not.",
       "Ответ при аутентификации должен быть в base64; этот — нет."),
    _r("bad.expected_done", "Expected DONE",
       "During IDLE the only thing the client may send is DONE; IDLE ended with this error.",
       "Во время IDLE клиент может прислать только DONE; IDLE завершилась с этой ошибкой."),
    _r("bad.seqset", "Invalid message number {number}: the mailbox has {exists} messages",
       "A message sequence number was beyond the number of messages in the folder.",
       "Порядковый номер письма больше числа писем в папке."),
    _r("bad.flag", "Invalid flag {flag}",
       "Only \\Answered, \\Flagged, \\Deleted, \\Seen, \\Draft and keywords may be stored; \\Recent is set by the server alone.",
       "Сохранять можно только \\Answered, \\Flagged, \\Deleted, \\Seen, \\Draft и ключевые слова; \\Recent ставит только сервер."),
    _r("bad.section", "Invalid BODY section {section}",
       "The section part of BODY[...] does not follow RFC 3501 §6.4.5.",
       "Указание части в BODY[...] не соответствует RFC 3501 §6.4.5."),
    # -- continuation requests
    _r("cont.ready", "Ready", "The server is ready for the rest of the command.",
       "Сервер готов принять остаток команды."),
    _r("cont.literal", "Ready for literal data",
       "The line ended with {n}: the server agrees to receive the n octets of the literal.",
       "Строка закончилась на {n}: сервер согласен принять n октетов литерала."),
    _r("cont.auth", "",
       "AUTHENTICATE PLAIN came without an initial response: the server sends an empty challenge and waits for the base64 credentials.",
       "AUTHENTICATE PLAIN пришла без начального ответа: сервер посылает пустой запрос и ждёт учётные данные в base64."),
    _r("cont.idle", "idling",
       "The server now pushes changes (new mail, flags, expunges) as they happen, until the client sends DONE.",
       "Теперь сервер сам присылает изменения (новые письма, флаги, удаления) по мере их появления, пока клиент не пришлёт DONE."),
)}

# The reply a fault rule gets when it names only a code.
DEFAULT_KEYS: dict[str, str] = {
    "OK": "ok.completed", "NO": "no.failed", "BAD": "bad.refused", "BYE": "bye.unavailable",
    "PREAUTH": "preauth.greeting", "+": "cont.ready",
}

# The response codes in brackets (RFC 3501 §7.1, RFC 5530, RFC 4469), what they tell the client.
RESP_CODES: dict[str, dict[str, Any]] = {c[0]: {"rfc": c[1], "meaning": _t(c[2], c[3])} for c in (
    ("CAPABILITY", "RFC 3501 §7.1", "The capability list, sent along so the client need not ask with CAPABILITY.",
     "Список возможностей, присланный заодно, чтобы клиенту не пришлось спрашивать CAPABILITY."),
    ("PERMANENTFLAGS", "RFC 3501 §7.1", "The flags the client may change for good; \\* means it may also invent keywords.",
     "Флаги, которые клиент может изменять с сохранением между сеансами; \\* означает, что можно заводить и свои ключевые слова."),
    ("READ-WRITE", "RFC 3501 §7.1", "The folder is open for changes (SELECT).",
     "Папка открыта для изменений (SELECT)."),
    ("READ-ONLY", "RFC 3501 §7.1", "The folder is open for reading only (EXAMINE).",
     "Папка открыта только для чтения (EXAMINE)."),
    ("TRYCREATE", "RFC 3501 §7.1", "The target folder does not exist; create it, then try again.",
     "Целевой папки нет; создайте её и повторите."),
    ("UIDNEXT", "RFC 3501 §7.1", "The UID the next message to arrive will get.",
     "UID, который получит следующее пришедшее письмо."),
    ("UIDVALIDITY", "RFC 3501 §7.1", "Identifies this incarnation of the folder: while it stays the same, UIDs keep naming the same messages.",
     "Отличает это «воплощение» папки: пока число не меняется, UID обозначают те же письма."),
    ("UNSEEN", "RFC 3501 §7.1", "The sequence number of the first message without \\Seen.",
     "Порядковый номер первого письма без флага \\Seen."),
    ("BADCHARSET", "RFC 3501 §7.1", "The character set is not supported; the list says which ones are.",
     "Кодировка не поддерживается; в списке — поддерживаемые."),
    ("AUTHENTICATIONFAILED", "RFC 5530 §3", "Wrong user name or password.",
     "Неверное имя пользователя или пароль."),
    ("AUTHORIZATIONFAILED", "RFC 5530 §3", "The credentials are right, but not for acting as that user.",
     "Учётные данные верны, но действовать от имени того пользователя нельзя."),
    ("NONEXISTENT", "RFC 5530 §3", "The folder named does not exist.", "Названной папки не существует."),
    ("ALREADYEXISTS", "RFC 5530 §3", "A folder with that name is already there.", "Папка с таким именем уже есть."),
    ("CANNOT", "RFC 5530 §3", "The server will never do this (delete INBOX, use that name).",
     "Этого сервер не сделает никогда (удалить INBOX, использовать такое имя)."),
    ("EXPUNGEISSUED", "RFC 5530 §3", "Some of the messages were expunged by another session.",
     "Часть писем удалена другим сеансом."),
    ("UNAVAILABLE", "RFC 5530 §3", "A temporary failure: trying again later may work.",
     "Временная неудача: позже может получиться."),
    ("SERVERBUG", "RFC 5530 §3", "The server has a bug; the command was not done.",
     "Внутренняя ошибка сервера; команда не выполнена."),
    ("TOOBIG", "RFC 4469 §4.2, RFC 7889", "The message or literal is larger than the server accepts.",
     "Письмо или литерал больше, чем принимает сервер."),
)}

# Untagged status lines with human text inside data responses (SELECT's, LOGOUT's).
STATUS_LINES: dict[str, str] = {
    "permanentflags": "OK [PERMANENTFLAGS ({flags})] Flags permitted",
    "unseen": "OK [UNSEEN {number}] First unseen",
    "uidvalidity": "OK [UIDVALIDITY {number}] UIDs valid",
    "uidnext": "OK [UIDNEXT {number}] Predicted next UID",
    "bye_logout": "BYE {host} MailSim logging out",
}


def _clean(value: Any) -> str:
    return clean_param(value, MAX_PARAM)


_LITERAL_MARK = re.compile(rb"\{(\d+)\}\r\n")


def literal_text(data: bytes) -> str:
    """How :func:`_transcript` shows a literal's content when the reply's budget does not cut it.

    The engine computes it once per message (the store's cache keeps it) and
    hands it to the reply with :meth:`ImapReply.with_literal_texts`."""
    return data[:TEXT_LITERAL_LIMIT].decode("latin-1").replace("\r\n", "\n")


def _transcript(data: bytes, stop: Optional[int] = None, hints: tuple = ()) -> str:
    """Wire bytes (up to ``stop``) as transcript text: CRLF as newline, literals over the limit cut with a marker.

    Only what is shown is copied and converted. A literal found in ``hints``
    (``(content, literal_text(content))`` pairs in wire order) is not
    converted again: the text is then made in chunks (what came before it,
    converted at once; its known text; ...), and a CRLF split between two
    chunks is joined as one newline, so the result is the same as converting
    the whole at once.
    """
    length = len(data) if stop is None else stop
    view = memoryview(data)
    raw: list[Any] = []    # pieces not converted yet
    texts: list[str] = []  # converted chunks
    cr = False             # the converted chunks end with CR
    hint = pos = total = 0
    while pos < length:
        found = _LITERAL_MARK.search(data, pos, length)
        end = found.end() if found else length
        raw.append(view[pos:end])
        total += end - pos
        pos = end
        if found:
            size = int(found.group(1))
            shown = min(size, TEXT_LITERAL_LIMIT, max(0, TEXT_LIMIT - total))
            upto = min(pos + shown, length)
            known = None
            if hint < len(hints) and upto > pos:
                content, content_text = hints[hint]
                if (len(content) == size and shown == min(size, TEXT_LITERAL_LIMIT) and upto == pos + shown
                        and data.startswith(content, pos)):
                    known = content_text
                    hint += 1
            if known is None:
                raw.append(view[pos:upto])
            else:
                cr = _convert(texts, raw, cr)
                raw = []
                if cr and data[pos] == 10:  # CR ended the last chunk, LF starts this one: one newline
                    texts[-1] = texts[-1][:-1]
                texts.append(known)
                cr = data[upto - 1] == 13
            total += shown
            if shown < size:
                raw.append(b"... (%d more octets)" % (size - shown))
            pos += size
        if total >= TEXT_LIMIT and pos < length:
            raw.append(b"... (%d more octets)" % (length - pos))
            break
    _convert(texts, raw, cr)
    return texts[0] if len(texts) == 1 else "".join(texts)


def _convert(texts: list[str], raw: list[Any], cr: bool) -> bool:
    """Convert the pieces in ``raw`` at once and add them to ``texts``; returns whether they end with CR."""
    chunk = b"".join(raw)
    if not chunk:
        return cr
    if cr and chunk[0] == 10:
        texts[-1] = texts[-1][:-1]
    texts.append(chunk.decode("latin-1").replace("\r\n", "\n"))
    return chunk[-1] == 13


@dataclass(frozen=True)
class ImapReply:
    """What the server sends for one input: untagged ``lines``, then the ``final`` line.

    ``lines`` are complete untagged responses without their CRLF (literals
    inside them included); ``final`` is the tagged status, the "+" request or
    the untagged OK/BYE/PREAUTH, or None for a batch of untagged updates.
    Offers the session interface: ``code``, ``key``, ``text``, ``wire()``,
    ``ok``, ``closes``.
    """

    code: str
    key: str
    final: Optional[bytes]
    lines: tuple[bytes, ...] = ()
    tag: Optional[str] = None
    ends: bool = field(default=False, compare=False)

    # wire() and text are built once (kept in the instance's __dict__, not fields:
    # equality and repr ignore them); a FETCH of many messages is one join.
    def wire(self) -> bytes:
        """The reply as sent: each untagged line and the final line, each ended by CRLF."""
        cached = self.__dict__.get("_wire")
        if cached is None:
            parts = self.lines + ((self.final, b"") if self.final is not None else (b"",))
            cached = self.__dict__["_wire"] = b"\r\n".join(parts) if self.lines or self.final is not None else b""
        return cached

    @property
    def text(self) -> str:
        """The transcript form: lines joined by newlines, big literals cut to 16 KiB with a marker."""
        cached = self.__dict__.get("_text")
        if cached is None:
            wire = self.wire()
            cached = self.__dict__["_text"] = _transcript(wire, max(0, len(wire) - 2),
                                                          self.__dict__.get("_literal_texts", ()))
        return cached

    def with_literal_texts(self, hints: tuple) -> "ImapReply":
        """Give the transcript the text of literals already converted (see :func:`literal_text`); returns self."""
        if hints:
            self.__dict__["_literal_texts"] = hints
        return self

    @property
    def ok(self) -> bool:
        """OK, PREAUTH and "+" let the command stand."""
        return self.code in ("OK", "PREAUTH", "+")

    @property
    def closes(self) -> bool:
        """BYE, and the answer to LOGOUT: the server closes the connection after sending it."""
        return self.code == "BYE" or self.ends

    def with_lines(self, before: tuple[bytes, ...]) -> "ImapReply":
        """The same reply with more untagged lines in front (updates about the selected folder)."""
        if not before:
            return self
        return replace(self, lines=tuple(before) + self.lines)


def _final(spec: ReplySpec, tag: Optional[str], text: str) -> Optional[bytes]:
    if not spec.final:
        return None
    body = text.encode("ascii")
    if spec.code == "+":
        return b"+ " + body
    if spec.tagged and tag:
        head = tag.encode("ascii")
    else:
        head = b"*"
    return head + b" " + spec.code.encode("ascii") + (b" " + body if body else b"")


def reply(key: str, tag: Optional[str] = None, untagged: tuple[bytes, ...] = (), **params: Any) -> ImapReply:
    """Build the catalogue reply ``key``: ``untagged`` lines, then the final line.

    ``tag`` is the command's tag (ignored for entries that are never tagged);
    ``host`` and ``caps`` have defaults, any other missing placeholder is a
    programming error (``KeyError``). Values are cleaned to printable ASCII.
    """
    spec = REPLIES[key]
    values = {"host": DEFAULT_HOST, "caps": CAPABILITIES, **{k: _clean(v) for k, v in params.items()}}
    text = spec.text.format_map(values)
    return ImapReply(spec.code, key, _final(spec, _clean_tag(tag), text), tuple(untagged),
                     tag if spec.tagged else None, spec.closes)


def default_reply(code: str, text: Optional[str] = None, tag: Optional[str] = None, **params: Any) -> ImapReply:
    """The catalogue's default reply for ``code`` (``KeyError`` for a code not in :data:`CODES`).

    With ``text``, that text (cleaned to printable ASCII) replaces the template;
    the key stays the default entry's.
    """
    key = DEFAULT_KEYS[code]
    if text is None:
        return reply(key, tag=tag, **params)
    spec = REPLIES[key]
    cleaned = "".join(ch if " " <= ch <= "~" else "?" for ch in text)[:1000]
    return ImapReply(spec.code, key, _final(spec, _clean_tag(tag), cleaned), (),
                     tag if spec.tagged else None, spec.closes)


def _clean_tag(tag: Optional[str]) -> Optional[str]:
    if tag is None:
        return None
    return tag if tag.isascii() and tag.isprintable() and " " not in tag else "*"


def untagged(name: str, **params: Any) -> bytes:
    """One untagged status line of :data:`STATUS_LINES`, as wire bytes without CRLF."""
    values = {"host": DEFAULT_HOST, **{k: _clean(v) for k, v in params.items()}}
    return b"* " + STATUS_LINES[name].format_map(values).encode("ascii")


# --------------------------------------------------------------------------
# Commands, states, untagged responses


STATES: dict[str, dict[str, Any]] = {
    "not_authenticated": {"rfc": "RFC 3501 §3.1", "meaning": _t(
        "After the greeting: the client must log in (LOGIN or AUTHENTICATE) before anything else.",
        "После приветствия: клиент должен войти в систему (LOGIN или AUTHENTICATE), прежде чем делать что-то ещё.")},
    "authenticated": {"rfc": "RFC 3501 §3.2", "meaning": _t(
        "Logged in: the client works with folders (LIST, CREATE, STATUS...) and selects one to reach its messages.",
        "Вход выполнен: клиент работает с папками (LIST, CREATE, STATUS...) и выбирает одну, чтобы добраться до её писем.")},
    "selected": {"rfc": "RFC 3501 §3.3", "meaning": _t(
        "A folder is selected: the client reads, searches, flags, copies and expunges its messages.",
        "Папка выбрана: клиент читает, ищет, помечает, копирует и удаляет её письма.")},
    "logout": {"rfc": "RFC 3501 §3.4", "meaning": _t(
        "The connection is ending: after LOGOUT, an autologout, or the server's BYE.",
        "Соединение завершается: после LOGOUT, автоматического выхода или BYE от сервера.")},
}

UNTAGGED: dict[str, dict[str, Any]] = {u[0]: {"rfc": u[1], "meaning": _t(u[2], u[3])} for u in (
    ("OK", "RFC 3501 §7.1.1", "Information, often with a response code in brackets: [UIDVALIDITY n], [UIDNEXT n], [UNSEEN n], [PERMANENTFLAGS (...)].",
     "Информация, часто с кодом ответа в квадратных скобках: [UIDVALIDITY n], [UIDNEXT n], [UNSEEN n], [PERMANENTFLAGS (...)]."),
    ("BYE", "RFC 3501 §7.1.5", "The server is closing the connection (sent before LOGOUT's OK, or on its own).",
     "Сервер закрывает соединение (перед OK на LOGOUT или по своей инициативе)."),
    ("CAPABILITY", "RFC 3501 §7.2.1", "The list of what the server supports.", "Список того, что поддерживает сервер."),
    ("LIST", "RFC 3501 §7.2.2", "One folder: its attributes (\\HasChildren, \\Noselect...), the delimiter, its name.",
     "Одна папка: её атрибуты (\\HasChildren, \\Noselect...), разделитель, имя."),
    ("LSUB", "RFC 3501 §7.2.3", "One subscribed folder, like LIST.", "Одна папка из подписки, как в LIST."),
    ("STATUS", "RFC 3501 §7.2.4", "A folder's counters: MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN.",
     "Счётчики папки: MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN."),
    ("SEARCH", "RFC 3501 §7.2.5", "The numbers (or UIDs) of the messages that matched.",
     "Номера (или UID) подходящих писем."),
    ("FLAGS", "RFC 3501 §7.2.6", "The flags that exist in the selected folder.", "Флаги, существующие в выбранной папке."),
    ("EXISTS", "RFC 3501 §7.3.1", "How many messages the folder has now (it grows when mail arrives).",
     "Сколько сейчас писем в папке (число растёт, когда приходит почта)."),
    ("RECENT", "RFC 3501 §7.3.2", "How many messages are new to this session (\\Recent).",
     "Сколько писем новых для этого сеанса (\\Recent)."),
    ("EXPUNGE", "RFC 3501 §7.4.1", "The message with this sequence number was removed; the ones after it move down by one.",
     "Письмо с этим порядковым номером удалено; номера следующих уменьшаются на единицу."),
    ("FETCH", "RFC 3501 §7.4.2", "Data about one message: what FETCH asked for, or its flags after a change.",
     "Данные об одном письме: то, что запросила FETCH, или его флаги после изменения."),
    ("NAMESPACE", "RFC 2342 §5", "Where personal, other users' and shared folders live (here: personal only, delimiter \"/\").",
     "Где находятся личные папки, папки других пользователей и общие (здесь только личные, разделитель «/»)."),
    ("ID", "RFC 2971 §3.2", "The server's name and version.", "Название и версия сервера."),
)}


def catalogue_for_ui() -> dict:
    """Everything above as JSON-able data, both languages, for the browser and quizzes."""
    keys_by_code: dict[str, list[str]] = {}
    for key, spec in REPLIES.items():
        keys_by_code.setdefault(spec.code, []).append(key)
    return {
        "codes": {code: {
            "code": code, "class": info.reply_class, "meaning": info.meaning, "note": info.note,
            "advice": info.advice, "rfc": info.rfc, "default": DEFAULT_KEYS[code],
            "greeting": code in GREETING_CODES, "replies": keys_by_code.get(code, []),
        } for code, info in CODES.items()},
        "replies": {key: {"code": s.code, "text": [s.text], "why": s.why, "tagged": s.tagged,
                          "closes": s.closes or s.code == "BYE"} for key, s in REPLIES.items()},
        "commands": {verb: {"verb": verb, "syntax": c.syntax, "meaning": c.meaning, "rfc": c.rfc,
                            "states": list(c.states), "feature": c.feature, "note": c.note}
                     for verb, c in COMMANDS.items()},
        "features": FEATURES,
        "states": {name: {"meaning": s["meaning"], "rfc": s["rfc"]} for name, s in STATES.items()},
        "untagged": {name: dict(u) for name, u in UNTAGGED.items()},
        "resp_codes": {name: dict(c) for name, c in RESP_CODES.items()},
        "classes": {str(n): dict(v) for n, v in CLASSES.items()},
        "advice": ADVICE,
        "notes": NOTES,
    }
