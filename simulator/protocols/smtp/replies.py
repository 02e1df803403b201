"""The SMTP reply catalogue: every code and text the engine sends, and what they mean.

This module is the single source of SMTP reply wording. The engine builds
every reply with :func:`reply`; fault rules that name only a code get
:func:`default_reply`; the browser explains a reply from
:func:`catalogue_for_ui`. Nothing else in the code base writes a reply literal.

Three levels of description:

* ``CODES``: a reply code (250, 550 ...): its meaning in English and Russian,
  what the lecture (table 14.2) says about it and where that differs from
  RFC 5321, its class (first digit) and category (second digit), and what a
  client should do next (``advice``).
* ``REPLIES``: one specific reply (``"550.relay_denied"``): the code, the
  wire text (ASCII, may hold ``{placeholders}``, several lines for a
  multi-line reply) and ``why``: one sentence on what made the server say it.
* ``COMMANDS``: the SMTP verbs (lecture table 14.1): syntax, meaning, the
  lecture's argument column, obsolete or not.

Bilingual texts are dicts ``{"en": ..., "ru": ...}``; the browser picks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from simulator.protocols.base import Reply
from simulator.protocols.catalogue import Text, clean_param
from simulator.protocols.catalogue import bilingual as _t

# The host name used when a caller does not say which server is speaking.
DEFAULT_HOST = "mx.example.org"
# A reply line is at most 512 octets with code, separator and CRLF (RFC 5321 §4.5.3.1.5).
MAX_REPLY_TEXT = 512 - 6
# Values put into a template (addresses, domains the client typed) are cut here.
MAX_PARAM = 200

ADVICE: dict[str, Text] = {
    "continue": _t("Carry on: send the next command.",
                   "Продолжайте: посылайте следующую команду."),
    "send_more": _t("The server waits for more: send what it asked for (after DATA, the message text).",
                    "Сервер ждёт продолжения: пошлите то, что он просит (после DATA — текст письма)."),
    "retry_later": _t("A temporary failure: the same command may succeed later; a mail client queues the message and retries.",
                      "Временная неудача: та же команда может пройти позже; почтовый клиент оставит письмо в очереди и повторит попытку."),
    "give_up": _t("A permanent failure: do not repeat the same command unchanged; fix it, or give up and report the error to the sender.",
                  "Постоянная неудача: не повторяйте ту же команду без изменений; исправьте её или откажитесь и сообщите об ошибке отправителю."),
    "close": _t("The connection ends: the server closes the transmission channel.",
                "Соединение завершается: сервер закрывает канал передачи."),
}

CLASSES: dict[int, dict[str, Text]] = {
    2: {"name": _t("Positive completion", "Положительное завершение"),
        "meaning": _t("The command succeeded; the client may send the next one.",
                      "Команда выполнена; клиент может посылать следующую.")},
    3: {"name": _t("Positive intermediate", "Положительный промежуточный ответ"),
        "meaning": _t("The command was accepted, but the server needs more before it can finish (in SMTP: the message text after DATA).",
                      "Команда принята, но серверу нужно ещё что-то, чтобы её завершить (в SMTP — текст письма после DATA).")},
    4: {"name": _t("Transient negative", "Временный отказ"),
        "meaning": _t("The command was refused, but the cause is temporary: the same command may succeed later.",
                      "Команда отклонена, но причина временная: та же команда может пройти позже.")},
    5: {"name": _t("Permanent negative", "Постоянный отказ"),
        "meaning": _t("The command was refused, and repeating it unchanged would fail again.",
                      "Команда отклонена, и её повтор без изменений снова закончится отказом."),
        "note": _t("The lecture says such a command cannot be sent again; RFC 5321 §4.2.1 only says the client should not repeat the exact same request. After fixing it (another address, a smaller message) it may try.",
                   "В лекции сказано, что такую команду нельзя передавать повторно; RFC 5321 §4.2.1 говорит лишь, что клиенту не следует повторять в точности тот же запрос. Исправив его (другой адрес, письмо поменьше), можно пробовать снова.")},
}
UNUSED_CLASS_NOTE = _t(
    "The first digit 1 (positive preliminary) exists in the reply scheme SMTP shares with FTP, but SMTP never uses it (RFC 5321 §4.2.1).",
    "Первая цифра 1 (положительный предварительный ответ) есть в общей с FTP схеме кодов, но SMTP её никогда не использует (RFC 5321 §4.2.1).")

CATEGORIES: dict[int, dict[str, Text]] = {
    0: {"name": _t("Syntax", "Синтаксис"),
        "meaning": _t("Syntax errors, and commands that are well formed but fit no function here (unknown, not implemented, out of place).",
                      "Синтаксические ошибки, а также правильно записанные команды, которым здесь нет применения (неизвестные, не реализованные, не к месту).")},
    1: {"name": _t("Information", "Информация"),
        "meaning": _t("Answers to requests for information, such as status or help.",
                      "Ответы на запросы информации, например о состоянии или справка.")},
    2: {"name": _t("Connections", "Соединение"),
        "meaning": _t("Replies about the transmission channel: it is ready, or it is being closed.",
                      "Ответы о канале передачи: он готов или закрывается.")},
    5: {"name": _t("Mail system", "Почтовая система"),
        "meaning": _t("The state of the receiving mail system for the requested transfer: mailboxes, addresses, storage.",
                      "Состояние почтовой системы получателя по отношению к запрошенной передаче: ящики, адреса, место для хранения.")},
}
CATEGORY_NOTE = _t("Second digits 3 and 4 are not assigned in SMTP.",
                   "Вторые цифры 3 и 4 в SMTP не назначены.")


@dataclass(frozen=True)
class CommandAdvice:
    """What a code means for the client after one particular command."""

    advice: str
    why: Text


@dataclass(frozen=True)
class CodeInfo:
    """One reply code. ``lecture`` is the lecture's wording, ``note`` where it differs from the RFC."""

    code: int
    meaning: Text
    advice: str
    rfc: str
    lecture: Optional[Text] = None
    note: Optional[Text] = None
    advice_by_command: dict[str, CommandAdvice] = field(default_factory=dict)

    @property
    def reply_class(self) -> int:
        """The first digit: 2 done, 3 send more, 4 temporary failure, 5 permanent failure."""
        return self.code // 100

    @property
    def category(self) -> int:
        """The second digit: 0 syntax, 1 information, 2 connections, 5 mail system."""
        return self.code // 10 % 10

    def advice_for(self, verb: Optional[str] = None) -> str:
        """The advice after ``verb`` (``"RCPT"``, ``"greeting"``...), else the general one."""
        special = self.advice_by_command.get(verb or "")
        return special.advice if special else self.advice


def _c(code: int, advice: str, rfc: str, en: str, ru: str, *, lecture: Optional[tuple[str, str]] = None,
       note: Optional[tuple[str, str]] = None, by: Optional[dict[str, tuple[str, str, str]]] = None) -> CodeInfo:
    return CodeInfo(code, _t(en, ru), advice, rfc,
                    lecture=_t(*lecture) if lecture else None, note=_t(*note) if note else None,
                    advice_by_command={v: CommandAdvice(a, _t(e, r)) for v, (a, e, r) in (by or {}).items()})


_R = "RFC 5321 §4.2.2, §4.2.3"
# RFC 5321 3.1: the opening reply is 220, or 554 (no service; the server then
# waits for QUIT), or 421 (service not available; the server closes).
GREETING_CODES = (220, 421, 554)

CODES: dict[int, CodeInfo] = {c.code: c for c in (
    _c(211, "continue", _R, "System status, or system help reply.", "Состояние системы или ответ на запрос справки.",
       lecture=("System status or help reply", "Системное состояние или отклик на справку")),
    _c(214, "continue", _R, "Help message: how to use the server, or what a command means.",
       "Справочное сообщение: как пользоваться сервером или что означает команда.",
       lecture=("Help message", "Справочное сообщение")),
    _c(220, "continue", "RFC 5321 §3.1, §4.2.2", "Service ready: the server greets the client and is ready for mail.",
       "Сервис готов: сервер приветствует клиента и готов принимать почту.",
       lecture=("Service ready", "Готовность к обслуживанию")),
    _c(221, "close", "RFC 5321 §4.1.1.10, §4.2.2", "Service closing transmission channel: the answer to QUIT; the server then closes the connection.",
       "Сервис закрывает канал передачи: ответ на QUIT, после которого сервер закрывает соединение.",
       lecture=("Service closing transmission channel", "Завершение обслуживания передающего канала")),
    _c(250, "continue", _R, "Requested mail action okay, completed.", "Запрошенное действие выполнено.",
       lecture=("Requested command completed", "Требуемая команда завершена")),
    _c(251, "continue", "RFC 5321 §3.4, §4.2.2", "User not local; the server will forward the message to the given address.",
       "Пользователь не местный; сервер сам перешлёт письмо по указанному адресу.",
       lecture=("User not local: the message will be forwarded", "Пользователь не местный: сообщение должно быть передано далее")),
    _c(252, "continue", "RFC 5321 §3.5.3, §7.3", "Cannot verify the user, but the server will accept the message and attempt delivery.",
       "Проверить пользователя нельзя, но сервер примет письмо и попытается его доставить.",
       note=("Not in the lecture's table. Servers answer VRFY with 252 when they cannot or will not confirm an address (for privacy, or because it is not theirs).",
             "В таблице лекции этого кода нет. Серверы отвечают на VRFY кодом 252, когда не могут или не хотят подтверждать адрес (ради приватности или потому что адрес не их).")),
    _c(354, "send_more", "RFC 5321 §4.1.1.4, §4.2.2", "Start mail input; end it with a line holding only a period (CRLF . CRLF).",
       "Начинайте ввод письма; закончите его строкой из одной точки (CRLF . CRLF).",
       lecture=("Start mail input", "Начало ввода почты")),
    _c(421, "close", "RFC 5321 §3.8, §4.2.2", "Service not available, closing transmission channel: the server cannot go on and closes the connection.",
       "Сервис недоступен, канал передачи закрывается: сервер не может продолжать и закрывает соединение.",
       lecture=("Service not available", "Обслуживание не доступно"),
       note=("RFC 5321 adds \"closing transmission channel\": after 421 the server closes the connection. Being a 4yz reply, the client should try again later.",
             "RFC 5321 добавляет «канал передачи закрывается»: после 421 сервер закрывает соединение. Это ответ 4yz, поэтому клиенту следует повторить попытку позже.")),
    _c(450, "retry_later", _R, "Requested mail action not taken: mailbox unavailable for now (busy, or temporarily blocked by policy).",
       "Запрошенное действие не выполнено: почтовый ящик пока недоступен (занят или временно заблокирован политикой).",
       lecture=("Mailbox not available", "Почтовый ящик недоступен"),
       note=("Today 450 is also the usual answer of greylisting: the server refuses a new sender once and accepts the retry.",
             "Сегодня 450 — ещё и обычный ответ при «сером списке»: сервер один раз отказывает новому отправителю и принимает повторную попытку.")),
    _c(451, "retry_later", _R, "Requested action aborted: local error in processing.",
       "Запрошенное действие прервано: локальная ошибка обработки.",
       lecture=("Command aborted: local error", "Команда прервана: местная ошибка")),
    _c(452, "retry_later", "RFC 5321 §4.2.2, §4.5.3.1.10", "Requested action not taken: insufficient system storage.",
       "Запрошенное действие не выполнено: недостаточно места в системе.",
       lecture=("Command aborted: insufficient storage", "Команда прервана: недостаточно памяти"),
       note=("Servers also send 452 to RCPT when a transaction has too many recipients (RFC 5321 §4.5.3.1.10).",
             "Серверы посылают 452 в ответ на RCPT и тогда, когда в транзакции слишком много получателей (RFC 5321 §4.5.3.1.10)."),
       by={"RCPT": ("retry_later", "Too many recipients in one transaction: the ones already accepted stay; send DATA for them, then the rest in a new transaction.",
                    "Слишком много получателей в одной транзакции: уже принятые остаются; отправьте им письмо (DATA), а остальным — в новой транзакции.")}),
    _c(500, "give_up", _R, "Syntax error, command unrecognized (this includes a command line that is too long).",
       "Синтаксическая ошибка, команда не распознана (в том числе слишком длинная командная строка).",
       lecture=("Syntax error: unrecognised command", "Синтаксическая ошибка: неопознанная команда")),
    _c(501, "give_up", _R, "Syntax error in parameters or arguments.", "Синтаксическая ошибка в параметрах или аргументах.",
       lecture=("Syntax error in parameters or arguments", "Синтаксическая ошибка в параметрах или аргументах")),
    _c(502, "give_up", "RFC 5321 §4.2.2, Appendix F", "Command not implemented: the server knows the command but does not do it.",
       "Команда не реализована: сервер знает такую команду, но не выполняет её.",
       lecture=("Command not implemented", "Команда не выполнена"),
       note=("The Russian lecture says \"command not executed\"; the original and RFC 5321 say \"not implemented\": the server does not support the command at all.",
             "В русском тексте лекции «команда не выполнена»; в оригинале и в RFC 5321 — «не реализована»: сервер вообще не поддерживает эту команду.")),
    _c(503, "give_up", "RFC 5321 §4.1.4, §4.2.2", "Bad sequence of commands: the command is valid but not at this point of the session.",
       "Неверная последовательность команд: команда правильная, но пришла не в тот момент сеанса.",
       lecture=("Bad sequence of commands", "Неправильная последовательность команд")),
    _c(504, "give_up", _R, "Command parameter not implemented.", "Параметр команды не реализован.",
       lecture=("Command temporarily not implemented", "Команда временно не выполнена"),
       note=("The lecture calls 504 \"command temporarily not implemented\", but a 5yz reply is permanent by definition; RFC 5321 defines 504 as \"command parameter not implemented\".",
             "В лекции 504 — «команда временно не выполнена», но ответ 5yz по определению постоянный; RFC 5321 определяет 504 как «параметр команды не реализован».")),
    _c(550, "give_up", _R, "Requested action not taken: mailbox unavailable (not found, no access, or refused by policy).",
       "Запрошенное действие не выполнено: почтовый ящик недоступен (не найден, нет доступа или отказ по правилам сервера).",
       lecture=("Command not executed: mailbox not available", "Команда не выполнена: почтовый ящик недоступен"),
       note=("RFC 5321 also uses 550 for policy refusals, such as a server that will not relay mail for other domains.",
             "RFC 5321 использует 550 и для отказов по правилам сервера, например, когда сервер не пересылает почту в чужие домены."),
       by={"RCPT": ("give_up", "Only this recipient is refused; the transaction goes on for the others.",
                    "Отклонён только этот получатель; для остальных транзакция продолжается.")}),
    _c(551, "give_up", "RFC 5321 §3.4, §4.2.2", "User not local; the server will not forward, the client should try the given address.",
       "Пользователь не местный; сервер не будет пересылать письмо, клиенту следует попробовать указанный адрес.",
       lecture=("User not local", "Пользователь не местный")),
    _c(552, "give_up", "RFC 5321 §4.2.2, §4.5.3.1.10; RFC 1870", "Requested mail action aborted: exceeded storage allocation.",
       "Запрошенное действие прервано: превышен выделенный объём места для хранения.",
       lecture=("Requested action aborted: exceeded storage allocation", "Требуемое действие прервано: переполнение местной памяти"),
       by={"RCPT": ("retry_later", "Old servers answered too many recipients with 552; RFC 5321 §4.5.3.1.10 tells clients to treat that as temporary, like 452, and send the rest later.",
                    "Старые серверы отвечали на слишком большое число получателей кодом 552; RFC 5321 §4.5.3.1.10 велит клиентам считать это временной ошибкой, как 452, и отправить остальным позже."),
           "MAIL": ("give_up", "The declared SIZE is over the server's limit: this message will not be accepted here.",
                    "Заявленный SIZE больше предела сервера: здесь это письмо не примут.")}),
    _c(553, "give_up", _R, "Requested action not taken: mailbox name not allowed (for example, wrong address syntax).",
       "Запрошенное действие не выполнено: недопустимое имя почтового ящика (например, неверный синтаксис адреса).",
       lecture=("Requested action not taken: mailbox name not allowed", "Требуемое действие не принято к исполнению: недопустимое имя почтового ящика")),
    _c(554, "give_up", "RFC 5321 §3.1, §4.2.2", "Transaction failed; as the opening reply: no SMTP service here.",
       "Транзакция не удалась; в качестве приветствия — здесь нет SMTP-сервиса.",
       lecture=("Transaction failed", "Неудавшийся переход"),
       note=("The Russian lecture says \"failed transition\", a mistranslation of \"transaction failed\".",
             "В русском тексте лекции «неудавшийся переход» — ошибка перевода «transaction failed» (транзакция не удалась)."),
       by={"greeting": ("close", "Instead of 220 the server said it offers no service: the client should send QUIT; every other command gets 503.",
                        "Вместо 220 сервер сообщил, что обслуживать не будет: клиенту следует послать QUIT; на любую другую команду будет 503.")}),
    _c(555, "give_up", "RFC 5321 §4.1.1.11", "MAIL FROM/RCPT TO parameters not recognized or not implemented.",
       "Параметры MAIL FROM/RCPT TO не распознаны или не реализованы.",
       note=("Not in the lecture's table: the parameters belong to ESMTP extensions (SIZE, BODY...), which came after RFC 821.",
             "В таблице лекции этого кода нет: параметры относятся к расширениям ESMTP (SIZE, BODY...), появившимся после RFC 821.")),
)}


@dataclass(frozen=True)
class ReplyDef:
    """One specific reply: its wire text (lines, may hold ``{placeholders}``) and why it is sent."""

    key: str
    code: int
    text: tuple[str, ...]
    why: Text


def _r(key: str, text: Union[str, tuple[str, ...]], en: str, ru: str) -> ReplyDef:
    lines = (text,) if isinstance(text, str) else tuple(text)
    return ReplyDef(key, int(key.split(".", 1)[0]), lines, _t(en, ru))


REPLIES: dict[str, ReplyDef] = {r.key: r for r in (
    _r("211.status", "{host} System status: accepting mail",
       "The server reports its status; this simulator sends 211 only when a fault rule asks for it.",
       "Сервер сообщает своё состояние; этот симулятор посылает 211, только если этого требует правило сбоя."),
    _r("214.help", ("Commands: HELO EHLO MAIL RCPT DATA", "RSET NOOP QUIT VRFY EXPN HELP",
                    "Obsolete, answered 502: TURN SEND SOML SAML", "HELP <command> describes one command",
                    "End of HELP info"),
       "HELP without an argument: the server lists the commands it knows.",
       "HELP без аргумента: сервер перечисляет известные ему команды."),
    _r("214.help_command", ("{syntax}", "{summary}"),
       "HELP with a command name: the server shows that command's syntax and purpose.",
       "HELP с именем команды: сервер показывает синтаксис и назначение этой команды."),
    _r("220.ready", "{host} ESMTP MailSim ready",
       "The client opened a TCP connection and the server is ready: it names itself and waits for HELO or EHLO.",
       "Клиент открыл TCP-соединение, и сервер готов: он называет себя и ждёт HELO или EHLO."),
    _r("221.closing", "{host} Service closing transmission channel",
       "The client sent QUIT: the server says goodbye and closes the connection.",
       "Клиент послал QUIT: сервер прощается и закрывает соединение."),
    _r("250.ok", "OK",
       "The command was carried out; NOOP does nothing else, which makes it a cheap way to check the connection.",
       "Команда выполнена; NOOP больше ничего не делает, поэтому ею удобно проверять соединение."),
    _r("250.reset", "OK: transaction reset",
       "RSET: the server forgot the sender and recipients of the current transaction; the session itself goes on.",
       "RSET: сервер забыл отправителя и получателей текущей транзакции; сам сеанс продолжается."),
    _r("250.helo", "{host} Hello {client}, pleased to meet you",
       "HELO named the client's domain; until now each side knew the other only by IP address.",
       "HELO сообщил домен клиента; до этого стороны знали друг друга только по IP-адресам."),
    _r("250.ehlo", ("{host} Hello {client}", "SIZE {size}", "8BITMIME", "PIPELINING", "HELP"),
       "EHLO (extended HELO): besides greeting back, the server lists its ESMTP extensions, one per line.",
       "EHLO (расширенный HELO): кроме ответного приветствия, сервер перечисляет свои расширения ESMTP, по одному в строке."),
    _r("250.sender_ok", "Sender <{addr}> OK",
       "MAIL FROM opened a transaction; the sender's address is where failure reports will go.",
       "MAIL FROM открыл транзакцию; на адрес отправителя будут приходить уведомления о недоставке."),
    _r("250.recipient_ok", "Recipient <{addr}> OK",
       "RCPT TO named a user who has a mailbox on this server.",
       "RCPT TO назвал пользователя, у которого есть почтовый ящик на этом сервере."),
    _r("250.list_ok", "Mailing list <{addr}> OK, members: {count}",
       "RCPT TO named a mailing list: the message will go to each of its members.",
       "RCPT TO назвал список рассылки: письмо получит каждый его участник."),
    _r("250.relay_ok", "Recipient <{addr}> OK, will relay to {domain}",
       "The recipient is in another domain, but this is a submission server that relays for its own clients: it takes the message and will pass it on to that domain's mail server itself.",
       "Получатель в чужом домене, но это сервер отправки, который пересылает почту своих клиентов: он принимает письмо и сам передаст его почтовому серверу того домена."),
    _r("250.queued", "OK: queued as {queue_id}",
       "The message ended with CRLF . CRLF and the server took responsibility for delivering it.",
       "Письмо закончилось строкой CRLF . CRLF, и сервер взял на себя ответственность за его доставку."),
    _r("250.vrfy", "{name} <{addr}>",
       "VRFY asked about a local user or list: the server confirms the name and full address.",
       "VRFY спросил о местном пользователе или списке: сервер подтверждает имя и полный адрес."),
    _r("250.expn", "{name} <{addr}>",
       "EXPN asked for a mailing list: the server lists its members, one per line.",
       "EXPN запросил список рассылки: сервер перечисляет его участников, по одному в строке."),
    _r("251.will_forward", "User not local; will forward to <{forward}>",
       "This user moved to another address; the server accepts the message and forwards it there itself.",
       "Этот пользователь переехал на другой адрес; сервер принимает письмо и сам пересылает его туда."),
    _r("251.forwarding", "User not local; will forward",
       "The recipient is not local, but the server accepts the message and forwards it itself.",
       "Получатель не местный, но сервер принимает письмо и сам пересылает его дальше."),
    _r("252.cannot_verify", "Cannot VRFY user, but will accept message and attempt delivery",
       "The server will not confirm or deny the address, yet would take a message for it.",
       "Сервер не подтверждает и не отрицает адрес, но письмо на него принял бы."),
    _r("252.cannot_vrfy", "Cannot VRFY <{addr}>: not a local address",
       "VRFY asked about another domain: this server can only vouch for its own users, so it neither confirms nor denies.",
       "VRFY спросил об адресе в чужом домене: сервер отвечает только за своих пользователей, поэтому не подтверждает и не отрицает."),
    _r("354.start_input", "Start mail input; end with <CRLF>.<CRLF>",
       "DATA came after at least one accepted recipient: the server now reads the message until a line with a single period.",
       "DATA пришла после хотя бы одного принятого получателя: теперь сервер читает письмо до строки из одной точки."),
    _r("421.closing", "{host} Service not available, closing transmission channel",
       "The server cannot serve this connection and closes it; the client should try again later.",
       "Сервер не может обслужить это соединение и закрывает его; клиенту следует повторить попытку позже."),
    _r("421.timeout", "{host} Error: timeout exceeded, closing connection",
       "The client was silent for too long, so the server gave up waiting and closed the connection.",
       "Клиент слишком долго молчал; сервер перестал ждать и закрыл соединение."),
    _r("421.too_many_errors", "{host} Error: too many errors, closing connection",
       "The client made too many errors in one session; like Postfix, the server stops talking to it.",
       "Клиент сделал слишком много ошибок за один сеанс; как и Postfix, сервер прекращает разговор."),
    _r("421.too_busy", "{host} Too many connections, try again later",
       "The server already serves as many connections as it allows; a new one is turned away for now.",
       "Сервер уже обслуживает столько соединений, сколько позволяет; новое пока отклоняется."),
    _r("450.mailbox_unavailable", "Requested mail action not taken: mailbox unavailable",
       "The mailbox cannot be used right now (busy or locked); the client should try again later.",
       "Почтовый ящик сейчас нельзя использовать (занят или заблокирован); клиенту следует повторить попытку позже."),
    _r("450.greylisted", "Greylisted: please try again later",
       "Greylisting: the server refuses an unknown sender once, betting that spam software will not come back and a real server will.",
       "«Серый список»: сервер один раз отказывает незнакомому отправителю в расчёте на то, что спам-программа не вернётся, а настоящий сервер повторит попытку."),
    _r("451.local_error", "Requested action aborted: local error in processing",
       "Something went wrong inside the server; nothing is wrong with the command, so it may work later.",
       "Внутри сервера что-то сломалось; с самой командой всё в порядке, позже она может пройти."),
    _r("452.insufficient_storage", "Requested action not taken: insufficient system storage",
       "The server is short of storage for now; the client should try again later.",
       "Серверу сейчас не хватает места; клиенту следует повторить попытку позже."),
    _r("452.too_many_recipients", "Too many recipients",
       "This transaction already has as many recipients as the server accepts; the accepted ones stay, the rest go in another transaction.",
       "В этой транзакции уже столько получателей, сколько сервер принимает; принятые остаются, остальных нужно отправить в другой транзакции."),
    _r("500.unrecognized", "Syntax error, command unrecognized",
       "The first word of the line is not an SMTP command this server knows.",
       "Первое слово строки не является командой SMTP, известной этому серверу."),
    _r("500.line_too_long", "Line too long",
       "The command line was longer than 512 octets including CRLF, the limit of RFC 5321 §4.5.3.1.4.",
       "Командная строка длиннее 512 октетов вместе с CRLF — предела из RFC 5321 §4.5.3.1.4."),
    _r("500.text_line_too_long", "Line too long; message refused",
       "A line of the message was longer than 1000 octets including CRLF (RFC 5321 §4.5.3.1.6), so the whole message is refused.",
       "Строка письма длиннее 1000 октетов вместе с CRLF (RFC 5321 §4.5.3.1.6), поэтому письмо отклонено целиком."),
    _r("500.nul_byte", "Syntax error: NUL character in command",
       "The line held a NUL byte, which is never allowed in an SMTP command.",
       "В строке был байт NUL, который в командах SMTP не допускается."),
    _r("500.empty_line", "Syntax error: empty command line",
       "An empty line is not a command; every command starts with a verb such as HELO or MAIL.",
       "Пустая строка — не команда; каждая команда начинается с глагола, например HELO или MAIL."),
    _r("501.syntax", "Syntax: {usage}",
       "The command is known, but its arguments do not follow its syntax (shown in the reply).",
       "Команда известна, но её аргументы не соответствуют синтаксису (он показан в ответе)."),
    _r("501.invalid_arguments", "Syntax error in parameters or arguments",
       "The command is known, but its arguments are malformed.",
       "Команда известна, но её аргументы записаны неверно."),
    _r("501.missing_argument", "Argument required. Syntax: {usage}",
       "The command needs an argument (a domain, an address or a name) and the line has none.",
       "Команде нужен аргумент (домен, адрес или имя), а в строке его нет."),
    _r("501.param_syntax", "Bad parameter: {param}",
       "A MAIL parameter has a malformed value, for example SIZE that is not a number, or it is given twice.",
       "У параметра MAIL неверное значение (например, SIZE — не число) или он указан дважды."),
    _r("501.eight_bit", "8-bit characters not allowed in commands",
       "The command held non-ASCII bytes; without the SMTPUTF8 extension, commands and addresses must be plain ASCII.",
       "В команде были байты вне ASCII; без расширения SMTPUTF8 команды и адреса должны быть в чистом ASCII."),
    _r("502.not_implemented", "Command not implemented",
       "The server recognises this command but does not offer it (for example STARTTLS or AUTH in this simulator).",
       "Сервер знает эту команду, но не поддерживает её (например, STARTTLS или AUTH в этом симуляторе)."),
    _r("502.obsolete", "{verb}: obsolete command (RFC 821 only), not implemented",
       "The command comes from RFC 821 (1982) and was dropped by RFC 5321; modern servers answer 502.",
       "Команда из RFC 821 (1982), исключённая в RFC 5321; современные серверы отвечают на неё 502."),
    _r("503.bad_sequence", "Bad sequence of commands",
       "The command is valid but comes at the wrong point of the session.",
       "Команда правильная, но пришла не в тот момент сеанса."),
    _r("503.need_helo", "Bad sequence of commands: send HELO/EHLO first",
       "A mail transaction can only start after the client has introduced itself with HELO or EHLO.",
       "Почтовая транзакция может начаться только после того, как клиент представился командой HELO или EHLO."),
    _r("503.need_mail", "Bad sequence of commands: need MAIL command",
       "RCPT and DATA belong to a transaction, and a transaction starts with MAIL FROM.",
       "RCPT и DATA относятся к транзакции, а транзакция начинается с MAIL FROM."),
    _r("503.need_rcpt", "Bad sequence of commands: need RCPT command",
       "DATA needs at least one recipient, and no RCPT TO was given in this transaction.",
       "Для DATA нужен хотя бы один получатель, а в этой транзакции не было ни одной команды RCPT TO."),
    _r("503.nested_mail", "Bad sequence of commands: nested MAIL command",
       "A transaction is already open; finish it with DATA or abandon it with RSET before a new MAIL FROM.",
       "Транзакция уже открыта; завершите её командой DATA или сбросьте командой RSET, прежде чем давать новый MAIL FROM."),
    _r("503.refused", "Bad sequence of commands: no service here, send QUIT",
       "The server opened with 554 (no service); after that only QUIT is answered normally (RFC 5321 §3.1).",
       "Сервер начал с 554 (нет сервиса); после этого нормально обрабатывается только QUIT (RFC 5321 §3.1)."),
    _r("504.param_not_implemented", "Command parameter not implemented",
       "The command is fine, but one of its parameters asks for something this server does not do.",
       "С командой всё в порядке, но один из её параметров требует того, чего сервер не умеет."),
    _r("504.body_not_implemented", "BODY=BINARYMIME not implemented",
       "BINARYMIME needs the CHUNKING extension (BDAT), which this server does not offer.",
       "BINARYMIME требует расширения CHUNKING (команды BDAT), которого у этого сервера нет."),
    _r("504.help_topic", "HELP topic not recognized: {topic}",
       "HELP was asked about something that is not a command this server knows.",
       "В HELP указано то, что не является известной серверу командой."),
    _r("550.mailbox_unavailable", "Requested action not taken: mailbox unavailable",
       "The mailbox cannot be used: it does not exist, cannot be reached, or the server's rules forbid it.",
       "Почтовый ящик нельзя использовать: его нет, он недоступен или это запрещено правилами сервера."),
    _r("550.no_such_user", "<{addr}>: User unknown",
       "The address is in this server's domain, but no user, list or forwarding entry has that name.",
       "Адрес в домене этого сервера, но нет ни пользователя, ни списка, ни переадресации с таким именем."),
    _r("550.relay_denied", "5.7.1 <{addr}>: Relay access denied",
       "The recipient is in another domain and this server accepts mail only for its own; relaying for anyone would make it an open relay for spam. 5.7.1 is an enhanced status code (RFC 3463): permanent, security or policy.",
       "Получатель в чужом домене, а этот сервер принимает почту только для своего; пересылка для всех сделала бы его открытым ретранслятором для спама. 5.7.1 — расширенный код состояния (RFC 3463): постоянная ошибка, безопасность или политика."),
    _r("550.not_a_list", "<{addr}>: not a mailing list",
       "EXPN expands only mailing lists, and this address is not one.",
       "EXPN раскрывает только списки рассылки, а этот адрес — не список."),
    _r("551.user_not_local", "User not local; please try <{forward}>",
       "This user has left; the server will not forward the message but says where the user can now be reached.",
       "Этот пользователь ушёл; сервер не пересылает письмо, но сообщает, где его теперь искать."),
    _r("551.not_local", "User not local; please try another address",
       "The recipient is not here and the server will not forward the message.",
       "Получателя здесь нет, и сервер не будет пересылать письмо."),
    _r("552.storage_exceeded", "Requested mail action aborted: exceeded storage allocation",
       "The recipient's mailbox or the server's storage has no room for this message.",
       "В ящике получателя или в хранилище сервера нет места для этого письма."),
    _r("552.too_big", "Message size exceeds fixed maximum message size ({limit} octets)",
       "The message is larger than the SIZE limit the server announced in its EHLO reply.",
       "Письмо больше предела SIZE, который сервер объявил в ответе на EHLO."),
    _r("553.mailbox_name", "Requested action not taken: mailbox name not allowed",
       "The address between the angle brackets is malformed (for example no @, an empty part, or forbidden characters).",
       "Адрес в угловых скобках записан неверно (например, нет @, пустая часть или недопустимые символы)."),
    _r("554.transaction_failed", "Transaction failed",
       "The transaction failed for a reason the server does not detail; the message was not accepted.",
       "Транзакция не удалась по причине, которую сервер не уточняет; письмо не принято."),
    _r("554.no_valid_recipients", "Transaction failed: no valid recipients",
       "DATA came after RCPT commands, but every one of them was refused, so there is nobody to send the message to.",
       "DATA пришла после команд RCPT, но все они были отклонены, и письмо отправлять некому."),
    _r("554.no_service", "{host} No SMTP service here",
       "Instead of greeting with 220 the server refused the connection; only QUIT is answered normally now.",
       "Вместо приветствия 220 сервер отказал в соединении; теперь нормально обрабатывается только QUIT."),
    _r("555.param_unrecognized", "MAIL FROM/RCPT TO parameters not recognized or not implemented",
       "MAIL FROM or RCPT TO carried a parameter the server does not know.",
       "В MAIL FROM или RCPT TO был параметр, который сервер не знает."),
    _r("555.unknown_param", "Parameter not recognized: {param}",
       "MAIL FROM or RCPT TO carried a parameter of an extension this server did not announce in its EHLO reply.",
       "В MAIL FROM или RCPT TO был параметр расширения, которое сервер не объявлял в ответе на EHLO."),
    _r("555.no_extensions", "Parameters need EHLO: {param}",
       "The client greeted with HELO, which turns ESMTP extensions off, so MAIL and RCPT take no parameters.",
       "Клиент поздоровался командой HELO, которая отключает расширения ESMTP, поэтому у MAIL и RCPT не может быть параметров."),
)}

# The reply a fault rule gets when it names only a code.
DEFAULT_KEYS: dict[int, str] = {
    211: "211.status", 214: "214.help", 220: "220.ready", 221: "221.closing", 250: "250.ok",
    251: "251.forwarding", 252: "252.cannot_verify", 354: "354.start_input", 421: "421.closing",
    450: "450.mailbox_unavailable", 451: "451.local_error", 452: "452.insufficient_storage",
    500: "500.unrecognized", 501: "501.invalid_arguments", 502: "502.not_implemented", 503: "503.bad_sequence",
    504: "504.param_not_implemented", 550: "550.mailbox_unavailable", 551: "551.not_local",
    552: "552.storage_exceeded", 553: "553.mailbox_name", 554: "554.transaction_failed",
    555: "555.param_unrecognized",
}

# A fault that replaces the greeting with just a code gets the greeting's own
# wording (RFC 5321 3.1) rather than the code's generic text.
GREETING_KEYS: dict[int, str] = {554: "554.no_service"}


def _clean(value: Any) -> str:
    return clean_param(value, MAX_PARAM)


def _fit(line: str) -> str:
    return line if len(line) <= MAX_REPLY_TEXT else line[:MAX_REPLY_TEXT - 3] + "..."


def reply(key: str, **params: Any) -> Reply:
    """Build the catalogue reply ``key``, filling its placeholders from ``params``.

    ``host`` defaults to :data:`DEFAULT_HOST`; any other missing placeholder
    is a programming error (``KeyError``). Values are cleaned to printable
    ASCII and lines cut to the 512-octet limit.
    """
    spec = REPLIES[key]
    values = {"host": DEFAULT_HOST, **{k: _clean(v) for k, v in params.items()}}
    return Reply(spec.code, tuple(_fit(line.format_map(values)) for line in spec.text), key)


def reply_rows(key: str, rows: list[dict[str, Any]]) -> Reply:
    """A multi-line reply with one line per row, each made from the entry's single-line template."""
    spec = REPLIES[key]
    template = spec.text[0]
    lines = tuple(_fit(template.format_map({k: _clean(v) for k, v in row.items()})) for row in rows)
    return Reply(spec.code, lines or (template,), key)


def default_reply(code: int, text: Optional[str] = None, **params: Any) -> Reply:
    """The catalogue's default reply for ``code`` (``KeyError`` for a code not in :data:`CODES`).

    With ``text``, that text (cleaned to printable ASCII) is the single line,
    and the key stays the default entry's.
    """
    key = DEFAULT_KEYS[code]
    if text is not None:
        return Reply(code, (_fit(_clean_text(text)),), key)
    return reply(key, **params)


def _clean_text(text: str) -> str:
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


@dataclass(frozen=True)
class CommandInfo:
    """One SMTP verb. ``lecture`` is the argument column of lecture table 14.1 (None if absent)."""

    verb: str
    syntax: str
    meaning: Text
    rfc: str
    lecture: Optional[Text] = None
    obsolete: bool = False
    note: Optional[Text] = None
    aliases: tuple[str, ...] = ()


def _cmd(verb: str, syntax: str, rfc: str, en: str, ru: str, *, lecture: Optional[tuple[str, str]] = None,
         obsolete: bool = False, note: Optional[tuple[str, str]] = None, aliases: tuple[str, ...] = ()) -> CommandInfo:
    return CommandInfo(verb, syntax, _t(en, ru), rfc, _t(*lecture) if lecture else None, obsolete,
                       _t(*note) if note else None, aliases)


_NONE = ("-", "—")
_OBSOLETE_821 = ("Obsolete: defined only in RFC 821 (1982) to deliver to a user's terminal; RFC 5321 (Appendix F.6) dropped it and servers answer 502. The argument is the sender (reverse-path), as in MAIL; the lecture's \"intended recipient\" is loose.",
                 "Устарела: есть только в RFC 821 (1982), для доставки на терминал пользователя; RFC 5321 (приложение F.6) её исключил, и серверы отвечают 502. Аргумент — отправитель (обратный путь), как в MAIL; «предполагаемый получатель» в лекции — неточность.")

COMMANDS: dict[str, CommandInfo] = {c.verb: c for c in (
    _cmd("HELO", "HELO <domain>", "RFC 5321 §4.1.1.1",
         "Hello: the client names its domain and the session starts.",
         "Приветствие: клиент называет свой домен, и начинается сеанс.",
         lecture=("sender's host name", "имя хоста отправителя"),
         note=("Still valid, but EHLO is preferred (RFC 5321 Appendix F.3). The lecture writes it as HELLO in the text; the command has four letters.",
               "По-прежнему допустима, но предпочтительна EHLO (RFC 5321, приложение F.3). В тексте лекции она названа HELLO; сама команда из четырёх букв.")),
    _cmd("EHLO", "EHLO <domain>", "RFC 5321 §4.1.1.1",
         "Extended hello: like HELO, and the server also lists its ESMTP extensions (SIZE, 8BITMIME, PIPELINING...).",
         "Расширенное приветствие: как HELO, но сервер ещё и перечисляет свои расширения ESMTP (SIZE, 8BITMIME, PIPELINING...).",
         note=("Not in the lecture's table; every modern client starts with EHLO and falls back to HELO only if it gets 500/502.",
               "В таблице лекции её нет; любой современный клиент начинает с EHLO и переходит на HELO, только получив 500/502.")),
    _cmd("MAIL", "MAIL FROM:<reverse-path> [SP parameters]", "RFC 5321 §4.1.1.2",
         "Starts a mail transaction and gives the sender's address, where failure reports go.",
         "Начинает почтовую транзакцию и сообщает адрес отправителя, куда придут уведомления о недоставке.",
         lecture=("sender of the message", "отправитель сообщения"),
         note=("The empty path <> is allowed: bounce messages use it so that they never bounce back. Parameters (SIZE=, BODY=) need EHLO.",
               "Пустой путь <> допустим: его используют уведомления о недоставке, чтобы они сами никогда не возвращались. Параметры (SIZE=, BODY=) требуют EHLO.")),
    _cmd("RCPT", "RCPT TO:<forward-path> [SP parameters]", "RFC 5321 §4.1.1.3",
         "Names one recipient; repeat it for each recipient of the message.",
         "Называет одного получателя; повторяется для каждого получателя письма.",
         lecture=("intended recipient", "предполагаемый получатель"),
         note=("A server must accept at least 100 recipients per transaction (RFC 5321 §4.5.3.1.8); <postmaster> without a domain always works.",
               "Сервер обязан принимать не менее 100 получателей в транзакции (RFC 5321 §4.5.3.1.8); <postmaster> без домена работает всегда.")),
    _cmd("DATA", "DATA", "RFC 5321 §4.1.1.4, §4.5.2",
         "After 354, the client sends the message (headers, empty line, body) and ends it with a line holding only a period.",
         "После 354 клиент передаёт письмо (заголовки, пустая строка, тело) и заканчивает его строкой из одной точки.",
         lecture=("body of the mail", "тело письма"),
         note=("Lines end with CRLF. A line of the message that starts with a period gets a second one (dot-stuffing) and the server removes it. Only CRLF . CRLF ends the message, never a bare LF: with nc, use nc -C.",
               "Строки заканчиваются CRLF. Строке письма, начинающейся с точки, добавляется вторая точка (dot-stuffing), и сервер её убирает. Письмо заканчивает только CRLF . CRLF, а не одиночный LF: в nc используйте nc -C.")),
    _cmd("RSET", "RSET", "RFC 5321 §4.1.1.5", "Aborts the current mail transaction; the connection stays open.",
         "Прерывает текущую почтовую транзакцию; соединение остаётся открытым.",
         lecture=("- (abort the current mail transaction)", "— (прервать текущую почтовую транзакцию)")),
    _cmd("VRFY", "VRFY <string>", "RFC 5321 §4.1.1.6, §3.5",
         "Asks whether an address or user name is valid here.", "Спрашивает, существует ли здесь такой адрес или пользователь.",
         lecture=("name of recipient to be verified", "имя проверяемого получателя"),
         note=("Many real servers disable VRFY or answer 252, because it lets spammers harvest addresses (RFC 5321 §7.3).",
               "Многие реальные серверы отключают VRFY или отвечают 252, потому что он позволяет спамерам собирать адреса (RFC 5321 §7.3).")),
    _cmd("EXPN", "EXPN <string>", "RFC 5321 §4.1.1.7, §3.5", "Asks the server to list the members of a mailing list.",
         "Просит сервер перечислить участников списка рассылки.",
         lecture=("mailing list to be expanded", "раскрываемый список рассылки"),
         note=("Usually disabled on real servers for the same privacy reasons as VRFY.",
               "На реальных серверах обычно отключена по тем же причинам приватности, что и VRFY.")),
    _cmd("HELP", "HELP [<command>]", "RFC 5321 §4.1.1.8", "Asks for help: the list of commands, or one command's syntax.",
         "Запрашивает справку: список команд или синтаксис одной команды.",
         lecture=("command name", "имя команды")),
    _cmd("NOOP", "NOOP [<string>]", "RFC 5321 §4.1.1.9", "Does nothing; the server answers 250. Useful to check the connection.",
         "Ничего не делает; сервер отвечает 250. Полезна, чтобы проверить соединение.", lecture=_NONE),
    _cmd("QUIT", "QUIT", "RFC 5321 §4.1.1.10", "Ends the session: the server answers 221 and closes the connection.",
         "Завершает сеанс: сервер отвечает 221 и закрывает соединение.", lecture=_NONE),
    _cmd("TURN", "TURN", "RFC 821 §4.1.1; RFC 5321 Appendix F.1",
         "Asked to swap roles so the server would send its queued mail back over the same connection.",
         "Просила поменяться ролями, чтобы сервер по тому же соединению отправил клиенту накопленную для него почту.",
         lecture=("- (swap the sender and receiver roles)", "— (поменять местами отправителя и получателя)"), obsolete=True,
         note=("Removed as unsafe: the server cannot tell that the client really owns the domain it collects mail for. ATRN (RFC 2645) replaced it, with authentication.",
               "Исключена как небезопасная: сервер не может убедиться, что клиент действительно владеет доменом, почту которого забирает. Её заменила ATRN (RFC 2645) с аутентификацией.")),
    _cmd("SEND", "SEND FROM:<reverse-path>", "RFC 821 §4.1.1; RFC 5321 Appendix F.6",
         "Deliver the message to the user's terminal instead of the mailbox.",
         "Доставить письмо на терминал пользователя вместо почтового ящика.",
         lecture=("intended recipient", "предполагаемый получатель"), obsolete=True, note=_OBSOLETE_821),
    _cmd("SOML", "SOML FROM:<reverse-path>", "RFC 821 §4.1.1; RFC 5321 Appendix F.6",
         "Send Or MaiL: deliver to the terminal if the user is logged in, otherwise to the mailbox.",
         "Send Or MaiL: доставить на терминал, если пользователь в системе, иначе в почтовый ящик.",
         lecture=("intended recipient (the lecture spells it SMOL)", "предполагаемый получатель (в лекции — SMOL)"),
         obsolete=True, aliases=("SMOL",),
         note=("The lecture's SMOL is a misspelling of SOML; MailSim accepts both. " + _OBSOLETE_821[0],
               "SMOL в лекции — опечатка, правильно SOML; MailSim понимает оба написания. " + _OBSOLETE_821[1])),
    _cmd("SAML", "SAML FROM:<reverse-path>", "RFC 821 §4.1.1; RFC 5321 Appendix F.6",
         "Send And MaiL: deliver to the terminal and to the mailbox.",
         "Send And MaiL: доставить и на терминал, и в почтовый ящик.",
         lecture=("intended recipient (the lecture spells it SMAL)", "предполагаемый получатель (в лекции — SMAL)"),
         obsolete=True, aliases=("SMAL",),
         note=("The lecture's SMAL is a misspelling of SAML; MailSim accepts both. " + _OBSOLETE_821[0],
               "SMAL в лекции — опечатка, правильно SAML; MailSim понимает оба написания. " + _OBSOLETE_821[1])),
)}

LINE_ENDINGS_NOTE = _t(
    "SMTP lines end with CRLF (carriage return, line feed). So that people can type commands with nc or telnet, MailSim also ends a command line at a bare LF; inside a message only CRLF . CRLF ends it (use nc -C).",
    "Строки SMTP заканчиваются парой CRLF (возврат каретки, перевод строки). Чтобы команды можно было набирать в nc или telnet, MailSim завершает командную строку и по одиночному LF; внутри письма его заканчивает только CRLF . CRLF (используйте nc -C).")


def catalogue_for_ui() -> dict:
    """Everything above as JSON-able data, both languages, for the browser and quizzes."""
    keys_by_code: dict[int, list[str]] = {}
    for key, spec in REPLIES.items():
        keys_by_code.setdefault(spec.code, []).append(key)
    return {
        "codes": {str(code): {
            "code": code, "class": info.reply_class, "category": info.category,
            "meaning": info.meaning, "lecture": info.lecture, "note": info.note,
            "advice": info.advice, "rfc": info.rfc, "default": DEFAULT_KEYS[code],
            "advice_by_command": {v: {"advice": a.advice, "why": a.why} for v, a in info.advice_by_command.items()},
            "replies": keys_by_code.get(code, []),
        } for code, info in CODES.items()},
        "replies": {key: {"code": s.code, "text": list(s.text), "why": s.why} for key, s in REPLIES.items()},
        "commands": {verb: {"verb": verb, "syntax": c.syntax, "meaning": c.meaning, "lecture": c.lecture,
                            "rfc": c.rfc, "obsolete": c.obsolete, "note": c.note, "aliases": list(c.aliases)}
                     for verb, c in COMMANDS.items()},
        "classes": {str(n): dict(v) for n, v in CLASSES.items()},
        "categories": {str(n): dict(v) for n, v in CATEGORIES.items()},
        "advice": ADVICE,
        "notes": {"unused_class_1": UNUSED_CLASS_NOTE, "categories": CATEGORY_NOTE,
                  "line_endings": LINE_ENDINGS_NOTE},
    }
