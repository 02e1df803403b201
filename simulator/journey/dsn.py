"""The journey's messages: the one Carol sends, the trace line a relay adds, and the bounce.

* :func:`compose` builds Carol's message with the standard library's
  ``email`` package (RFC 5322 headers, MIME; non-ASCII subjects as RFC 2047
  encoded words and bodies as quoted-printable or base64, so the message is
  7-bit clean for any SMTP server).
* :func:`received_line` is the ``Received:`` trace header an MTA prepends
  when it takes a message (RFC 5321 §4.4).
* :func:`build_dsn` writes a delivery status notification (RFC 3464): a
  ``multipart/report; report-type=delivery-status`` (RFC 6522) with a
  human-readable part (English and Russian), a ``message/delivery-status``
  part (per-message fields, then per-recipient fields: Final-Recipient,
  Action, Status, Remote-MTA, Diagnostic-Code) and the original message's
  header as ``text/rfc822-headers``.
* :func:`status_for` picks the enhanced status code (RFC 3463) a bounce
  reports: the one the server gave in its reply text when it gave one,
  otherwise one that fits the reply and the command it answered.
"""
from __future__ import annotations

import quopri
import re
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr
from typing import Optional, Union

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_HEADER_END = re.compile(rb"\r?\n\r?\n")

# (reply class, command) -> enhanced status detail, when the reply names none (RFC 3463).
_STATUS_BY_STAGE = {
    ("RCPT", 550): "1.1",      # bad destination mailbox address
    ("RCPT", 551): "1.6",      # destination mailbox has moved
    ("RCPT", 553): "1.3",      # bad destination mailbox address syntax
    ("RCPT", 450): "2.0",      # mailbox status (greylisting says 4.2.0 too)
    ("RCPT", 452): "5.3",      # too many recipients
    ("DATA_END", 552): "2.2",  # mailbox full
    ("DATA_END", 452): "3.1",  # mail system full
    ("DATA_END", 554): "6.0",  # other media (content) error
    ("greeting", 421): "4.2",  # no answer from host / connection dropped
    ("greeting", 554): "0.0",
}


def when(ts: float) -> str:
    """An RFC 5322 date-time (UTC) for a Unix time."""
    return format_datetime(datetime.fromtimestamp(ts, tz=timezone.utc))


def compose(*, sender: str, sender_name: str, recipient: str, recipient_name: str, subject: str,
            body: str, date: float, message_id: str, user_agent: str = "MailSim journey") -> bytes:
    """Carol's message as CRLF bytes, ready for DATA."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = formataddr((recipient_name, recipient)) if recipient_name else recipient
    msg["Subject"] = subject
    msg["Date"] = when(date)
    msg["Message-ID"] = message_id
    msg["User-Agent"] = user_agent
    lines = body.splitlines() or [""]
    plain = body.isascii() and max(len(line) for line in lines) <= 900
    msg.set_content(body, cte="7bit" if plain else "quoted-printable")  # 7-bit clean for any SMTP server
    return msg.as_bytes()


def received_line(*, helo: str, client_ip: str, by: str, queue_id: str, recipient: str, date: float,
                  protocol: str = "ESMTP") -> bytes:
    """A ``Received:`` trace header (RFC 5321 §4.4), folded, CRLF-terminated."""
    return (f"Received: from {helo} ({helo} [{client_ip}])\r\n"
            f"\tby {by} (MailSim) with {protocol} id {queue_id}\r\n"
            f"\tfor <{recipient}>; {when(date)}\r\n").encode("ascii", "replace")


def headers_of(content: bytes) -> bytes:
    """The header section of a message (up to the empty line), CRLF lines."""
    m = _HEADER_END.search(content)
    head = content if m is None else content[:m.start()]
    return b"\r\n".join(head.replace(b"\r\n", b"\n").split(b"\n")) + b"\r\n"


def status_for(stage: str, code: Union[int, str, None], text: str = "", *, expired: bool = False,
               dns: Optional[str] = None) -> str:
    """The RFC 3463 status code a DSN reports for how delivery ended."""
    if expired:
        return "4.4.7"  # delivery time expired
    if dns == "nxdomain":
        return "5.1.2"  # bad destination system address (Postfix says 5.4.4)
    if dns:
        return "4.4.3"  # directory server failure
    if isinstance(code, int):
        body = text.split(" ", 1)[1] if text[:3].isdigit() and " " in text else text
        m = _ENHANCED.match(body.strip())
        if m and m.group(1) == str(code // 100):
            return m.group(0)
        detail = _STATUS_BY_STAGE.get((stage, code))
        return f"{code // 100}.{detail or '0.0'}"
    return "4.4.2"  # the connection broke or timed out: bad connection


def _qp(text: str) -> bytes:
    body = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return quopri.encodestring(body.encode("utf-8")).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def build_dsn(*, reporting_mta: str, sender: str, recipient: str, original: bytes, status: str,
              remote_mta: Optional[str], diagnostic: Optional[str], diagnostic_type: str = "smtp",
              arrival: float, date: float, message_id: str, boundary: str, last_attempt: Optional[float] = None,
              human: dict[str, str]) -> bytes:
    """A delivery status notification (RFC 3464) for one failed recipient, as CRLF bytes.

    ``human`` holds the readable explanation in English and Russian (both
    go into the first part). ``diagnostic`` is the remote server's reply
    line (``550 ... User unknown``) for ``Diagnostic-Code: smtp; ...``.
    """
    crlf = "\r\n"
    head = crlf.join([
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting_mta}>",
        f"To: <{sender}>",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {when(date)}",
        f"Message-ID: {message_id}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated delivery status notification (RFC 3464).",
        "",
    ])
    readable = human["en"].rstrip() + "\n\n- - - - -\n\n" + human["ru"].rstrip() + "\n"
    per_message = [f"Reporting-MTA: dns; {reporting_mta}", f"Arrival-Date: {when(arrival)}"]
    per_recipient = [f"Final-Recipient: rfc822; {recipient}", f"Original-Recipient: rfc822; {recipient}",
                     "Action: failed", f"Status: {status}"]
    if remote_mta:
        per_recipient.append(f"Remote-MTA: dns; {remote_mta}")
    if diagnostic:
        clean = "".join(ch if " " <= ch <= "~" else "?" for ch in diagnostic)[:400]
        per_recipient.append(f"Diagnostic-Code: {diagnostic_type}; {clean}")
    per_recipient.append(f"Last-Attempt-Date: {when(date if last_attempt is None else last_attempt)}")
    report = crlf.join(per_message) + crlf + crlf + crlf.join(per_recipient) + crlf
    parts = [
        head.encode("ascii"),
        f"--{boundary}{crlf}Content-Description: Notification{crlf}"
        f"Content-Type: text/plain; charset=utf-8{crlf}Content-Transfer-Encoding: quoted-printable{crlf}{crlf}"
        .encode("ascii") + _qp(readable) + crlf.encode(),
        f"--{boundary}{crlf}Content-Description: Delivery report{crlf}"
        f"Content-Type: message/delivery-status{crlf}{crlf}{report}{crlf}".encode("ascii"),
        f"--{boundary}{crlf}Content-Description: Undelivered Message Headers{crlf}"
        f"Content-Type: text/rfc822-headers{crlf}{crlf}".encode("ascii") + headers_of(original) + crlf.encode(),
        f"--{boundary}--{crlf}".encode("ascii"),
    ]
    return b"".join(parts)


def readable_parts(content: bytes) -> list[dict]:
    """A DSN (or any message) as its leaf parts, decoded to text, for the page to show."""
    out: list[dict] = []

    def visit(part, depth: int = 0) -> None:
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            blocks = blocks if isinstance(blocks, list) else []
            text = "\n".join("".join(f"{k}: {v}\n" for k, v in block.items()) for block in blocks)
        elif part.is_multipart():
            if depth < 8:
                for sub in part.get_payload():
                    visit(sub, depth + 1)
            return
        else:
            payload = part.get_payload(decode=True) or b""
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        out.append({"type": ctype, "description": str(part.get("Content-Description", "") or ""),
                    "text": text.replace("\r\n", "\n")})

    visit(message_from_bytes(content, policy=default_policy))
    return out
