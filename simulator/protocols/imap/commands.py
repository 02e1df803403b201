"""The IMAP commands of the catalogue: syntax, meaning, the states that allow each, and the
lecture's IMAP feature it serves (headers first, server-side search, partial download, folders).

Part of the reply catalogue (``imap_replies.py`` re-exports it); the engine
reads ``COMMANDS[verb].states`` to refuse a command in the wrong state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from simulator.protocols.catalogue import Text
from simulator.protocols.catalogue import bilingual as _t

FEATURES: dict[str, Text] = {
    "headers": _t("Look at a message's header before downloading it",
                  "Просмотр заголовка письма до его загрузки"),
    "search": _t("Search the mail on the server", "Поиск в почте на сервере"),
    "partial": _t("Download a message partially", "Частичная загрузка письма"),
    "folders": _t("Folders on the server, in a hierarchy: create, delete, rename",
                  "Папки на сервере, образующие иерархию: создание, удаление, переименование"),
}

ANY = ("not_authenticated", "authenticated", "selected")
AUTH = ("authenticated", "selected")
SEL = ("selected",)


@dataclass(frozen=True)
class CommandInfo:
    """One IMAP verb: syntax, meaning, the states that allow it, the lecture's feature it serves."""

    verb: str
    syntax: str
    meaning: Text
    rfc: str
    states: tuple[str, ...]
    feature: Optional[str] = None
    note: Optional[Text] = None


def _cmd(verb: str, syntax: str, rfc: str, states: tuple[str, ...], en: str, ru: str,
         feature: Optional[str] = None, note: Optional[tuple[str, str]] = None) -> CommandInfo:
    return CommandInfo(verb, syntax, _t(en, ru), rfc, states, feature, _t(*note) if note else None)


COMMANDS: dict[str, CommandInfo] = {c.verb: c for c in (
    _cmd("CAPABILITY", "tag CAPABILITY", "RFC 3501 §6.1.1", ANY,
         "Asks what the server supports (IMAP4rev1, AUTH=PLAIN, IDLE...).",
         "Спрашивает, что поддерживает сервер (IMAP4rev1, AUTH=PLAIN, IDLE...)."),
    _cmd("NOOP", "tag NOOP", "RFC 3501 §6.1.2", ANY,
         "Does nothing, which gives the server a chance to report news (new mail, flag changes).",
         "Ничего не делает, давая серверу возможность сообщить новости (новые письма, изменения флагов)."),
    _cmd("LOGOUT", "tag LOGOUT", "RFC 3501 §6.1.3", ANY,
         "Ends the session: the server says BYE, answers OK and closes the connection.",
         "Завершает сеанс: сервер говорит BYE, отвечает OK и закрывает соединение."),
    _cmd("STARTTLS", "tag STARTTLS", "RFC 3501 §6.2.1", ("not_authenticated",),
         "Would switch the connection to TLS; MailSim does not offer it and answers BAD.",
         "Переключила бы соединение на TLS; MailSim этого не предлагает и отвечает BAD."),
    _cmd("LOGIN", "tag LOGIN user password", "RFC 3501 §6.2.3", ("not_authenticated",),
         "Logs in with a user name and a password, sent in the clear.",
         "Вход по имени пользователя и паролю, передаваемым открытым текстом.",
         note=("Real servers refuse LOGIN without TLS (they announce LOGINDISABLED); a teaching server on a private network allows it.",
               "Реальные серверы не принимают LOGIN без TLS (объявляя LOGINDISABLED); учебный сервер в закрытой сети это разрешает.")),
    _cmd("AUTHENTICATE", "tag AUTHENTICATE PLAIN [base64]", "RFC 3501 §6.2.2, RFC 4616, RFC 4959", ("not_authenticated",),
         "Logs in with a SASL mechanism; MailSim offers PLAIN: base64 of \"\\0user\\0password\", on the same line or after \"+ \".",
         "Вход по механизму SASL; MailSim предлагает PLAIN: base64 от «\\0пользователь\\0пароль» в той же строке или после «+ »."),
    _cmd("SELECT", "tag SELECT mailbox", "RFC 3501 §6.3.1", AUTH,
         "Opens a folder to work with its messages; the answer gives the message count, recent count, UIDVALIDITY and UIDNEXT.",
         "Открывает папку для работы с её письмами; ответ сообщает число писем, число новых, UIDVALIDITY и UIDNEXT.",
         feature="folders"),
    _cmd("EXAMINE", "tag EXAMINE mailbox", "RFC 3501 §6.3.2", AUTH,
         "Like SELECT, but read-only: nothing in the folder changes, not even \\Seen.",
         "Как SELECT, но только для чтения: в папке ничего не меняется, даже \\Seen.", feature="folders"),
    _cmd("CREATE", "tag CREATE mailbox", "RFC 3501 §6.3.3", AUTH,
         "Creates a folder; \"a/b\" creates b inside a (a too, if missing).",
         "Создаёт папку; «a/b» создаёт b внутри a (и a, если её нет).", feature="folders"),
    _cmd("DELETE", "tag DELETE mailbox", "RFC 3501 §6.3.4", AUTH,
         "Deletes a folder and its messages (not INBOX, not a folder with sub-folders).",
         "Удаляет папку вместе с письмами (кроме INBOX и папок с вложенными папками).", feature="folders"),
    _cmd("RENAME", "tag RENAME old new", "RFC 3501 §6.3.5", AUTH,
         "Renames a folder and those below it; renaming INBOX moves its messages into a new folder and leaves INBOX empty.",
         "Переименовывает папку и вложенные в неё; переименование INBOX переносит её письма в новую папку, оставляя INBOX пустой.",
         feature="folders"),
    _cmd("SUBSCRIBE", "tag SUBSCRIBE mailbox", "RFC 3501 §6.3.6", AUTH,
         "Adds a folder to the user's subscription list (the folders a client shows).",
         "Добавляет папку в список подписки пользователя (папки, которые показывает клиент).", feature="folders"),
    _cmd("UNSUBSCRIBE", "tag UNSUBSCRIBE mailbox", "RFC 3501 §6.3.7", AUTH,
         "Removes a folder from the subscription list.", "Удаляет папку из списка подписки.", feature="folders"),
    _cmd("LIST", "tag LIST reference pattern", "RFC 3501 §6.3.8", AUTH,
         "Lists folders matching a pattern: * matches anything, % anything but the \"/\" delimiter; LIST \"\" \"\" gives the delimiter.",
         "Перечисляет папки по шаблону: * соответствует чему угодно, % — чему угодно, кроме разделителя «/»; LIST \"\" \"\" сообщает разделитель.",
         feature="folders"),
    _cmd("LSUB", "tag LSUB reference pattern", "RFC 3501 §6.3.9", AUTH,
         "Like LIST, but only subscribed folders.", "Как LIST, но только папки из подписки.", feature="folders"),
    _cmd("STATUS", "tag STATUS mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)", "RFC 3501 §6.3.10", AUTH,
         "Gives a folder's counters without selecting it.", "Сообщает счётчики папки, не выбирая её.", feature="folders"),
    _cmd("APPEND", "tag APPEND mailbox [(flags)] [\"date-time\"] {size}", "RFC 3501 §6.3.11", AUTH,
         "Stores a whole message (sent as a literal) in a folder, e.g. a copy of a sent message in Sent.",
         "Сохраняет в папке целое письмо (переданное литералом), например копию отправленного письма в «Отправленных».",
         feature="folders"),
    _cmd("NAMESPACE", "tag NAMESPACE", "RFC 2342", AUTH,
         "Asks where the user's folders live and which delimiter they use.",
         "Спрашивает, где находятся папки пользователя и какой разделитель в них используется.", feature="folders"),
    _cmd("ID", "tag ID (\"name\" \"client\" ...) | NIL", "RFC 2971", ANY,
         "Client and server tell each other their name and version (for logs and bug reports).",
         "Клиент и сервер сообщают друг другу своё название и версию (для журналов и отчётов об ошибках)."),
    _cmd("IDLE", "tag IDLE ... DONE", "RFC 2177", AUTH,
         "Waits for news: the server pushes new mail and flag changes as they happen, until the client sends DONE.",
         "Ожидание новостей: сервер сам присылает новые письма и изменения флагов по мере их появления, пока клиент не пришлёт DONE."),
    _cmd("CHECK", "tag CHECK", "RFC 3501 §6.4.1", SEL,
         "Asks for a checkpoint of the selected folder (housekeeping; MailSim has nothing to do).",
         "Просит сделать контрольную точку выбранной папки (служебная операция; MailSim делать нечего)."),
    _cmd("CLOSE", "tag CLOSE", "RFC 3501 §6.4.2", SEL,
         "Closes the folder, silently removing messages flagged \\Deleted, and returns to the authenticated state.",
         "Закрывает папку, без уведомлений удаляя письма с флагом \\Deleted, и возвращает в состояние «аутентифицирован»."),
    _cmd("EXPUNGE", "tag EXPUNGE", "RFC 3501 §6.4.3", SEL,
         "Removes the messages flagged \\Deleted; each removal is reported as \"* n EXPUNGE\".",
         "Удаляет письма с флагом \\Deleted; о каждом удалении сообщает строка «* n EXPUNGE»."),
    _cmd("SEARCH", "tag SEARCH [CHARSET name] keys", "RFC 3501 §6.4.4", SEL,
         "The server searches the folder (FROM, SUBJECT, BODY, TEXT, dates, flags, sizes, OR/NOT...) and returns the matching message numbers.",
         "Сервер ищет в папке (FROM, SUBJECT, BODY, TEXT, даты, флаги, размеры, OR/NOT...) и возвращает номера подходящих писем.",
         feature="search"),
    _cmd("FETCH", "tag FETCH set items", "RFC 3501 §6.4.5", SEL,
         "Gets parts of messages: flags, size, the envelope, the header alone, the structure, one MIME part, or a byte range of it (<origin.length>).",
         "Получает части писем: флаги, размер, конверт, только заголовок, структуру, одну часть MIME или диапазон её байтов (<начало.длина>).",
         feature="headers"),
    _cmd("STORE", "tag STORE set [+|-]FLAGS[.SILENT] (flags)", "RFC 3501 §6.4.6", SEL,
         "Changes messages' flags: \\Seen (read), \\Answered, \\Flagged, \\Deleted (to be expunged), \\Draft, keywords.",
         "Изменяет флаги писем: \\Seen (прочитано), \\Answered, \\Flagged, \\Deleted (к удалению), \\Draft, ключевые слова."),
    _cmd("COPY", "tag COPY set mailbox", "RFC 3501 §6.4.7", SEL,
         "Copies messages to another folder, flags included.", "Копирует письма в другую папку вместе с флагами.",
         feature="folders"),
    _cmd("UID FETCH", "tag UID FETCH uid-set items", "RFC 3501 §6.4.8", SEL,
         "FETCH with unique identifiers instead of sequence numbers (UIDs never change while UIDVALIDITY stays).",
         "FETCH с уникальными идентификаторами вместо порядковых номеров (UID не меняются, пока не меняется UIDVALIDITY).",
         feature="headers"),
    _cmd("UID STORE", "tag UID STORE uid-set [+|-]FLAGS[.SILENT] (flags)", "RFC 3501 §6.4.8", SEL,
         "STORE by UID.", "STORE по UID."),
    _cmd("UID SEARCH", "tag UID SEARCH keys", "RFC 3501 §6.4.8", SEL,
         "SEARCH that answers with UIDs.", "SEARCH, отвечающая идентификаторами UID.", feature="search"),
    _cmd("UID COPY", "tag UID COPY uid-set mailbox", "RFC 3501 §6.4.8", SEL,
         "COPY by UID.", "COPY по UID.", feature="folders"),
)}
