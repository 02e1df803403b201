"""In-memory mailboxes: where SMTP deliveries land and POP3/IMAP will read from.

The session calls :meth:`MailStore.deliver` just before it sends the 250 that
ends a message (from then on the server is responsible for the message,
RFC 5321 §4.1.1.4). Delivery expands mailing lists through the world and drops
addresses that have no mailbox here (moved, departed or remote ones: this
simulated server does not relay). Nothing is written to disk; a restart
empties every mailbox.

One store is shared by every connection, lab and real port alike, so every
method takes a lock.
"""
from __future__ import annotations

import threading
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Optional

from .protocols.base import Delivery
from .world import World

# How deep nested lists are followed; deeper nesting (or a loop) stops here.
MAX_LIST_DEPTH = 8


class MailStore:
    """Every local user's mailbox, in memory, safe to use from several threads."""

    def __init__(self, world: Optional[World] = None):
        self.world = world or World.load()
        self._lock = threading.Lock()
        self._boxes: dict[str, list[dict]] = {}
        self._next_id = 1

    def mailboxes_for(self, address: str) -> list[str]:
        """The logins whose mailboxes a message to ``address`` lands in (lists expanded)."""
        found: list[str] = []
        self._expand(address, found, set(), 0)
        return found

    def _expand(self, address: str, found: list[str], seen: set[str], depth: int) -> None:
        where = self.world.lookup(address)
        if where.address in seen or depth > MAX_LIST_DEPTH:
            return
        seen.add(where.address)
        if where.kind == "local" and where.user not in found:
            found.append(where.user)
        elif where.kind == "list":
            for member in where.members:
                self._expand(member, found, seen, depth + 1)

    def deliver(self, delivery: Delivery) -> list[str]:
        """Put a copy of the message in each recipient's mailbox; return the new message ids."""
        logins: list[str] = []
        for rcpt in delivery.recipients:
            for login in self.mailboxes_for(rcpt):
                if login not in logins:
                    logins.append(login)
        subject = _subject(delivery.content)
        ids = []
        with self._lock:
            for login in logins:
                message_id = f"{self._next_id:06d}"
                self._next_id += 1
                self._boxes.setdefault(login, []).append({
                    "id": message_id,
                    "user": login,
                    "mail_from": delivery.mail_from,
                    "recipients": list(delivery.recipients),
                    "helo": delivery.helo,
                    "queue_id": delivery.queue_id,
                    "subject": subject,
                    "size": len(delivery.content),
                    "content": delivery.content,
                })
                ids.append(message_id)
        return ids

    def messages(self, user: str) -> list[dict]:
        """Copies of the messages in ``user``'s mailbox, oldest first (empty for nobody)."""
        with self._lock:
            return [dict(m) for m in self._boxes.get(user.lower(), [])]

    def count(self, user: Optional[str] = None) -> int:
        """How many messages one mailbox holds, or all of them together."""
        with self._lock:
            if user is not None:
                return len(self._boxes.get(user.lower(), []))
            return sum(len(box) for box in self._boxes.values())

    def delete(self, user: str, message_id: str) -> bool:
        """Remove one message (POP3 DELE + QUIT, IMAP EXPUNGE); True if it was there."""
        with self._lock:
            box = self._boxes.get(user.lower(), [])
            for i, message in enumerate(box):
                if message["id"] == message_id:
                    del box[i]
                    return True
            return False

    def clear(self) -> None:
        """Empty every mailbox."""
        with self._lock:
            self._boxes.clear()


def _subject(content: bytes) -> str:
    """The Subject header, decoded, or "" (a message need not have headers at all)."""
    try:
        end = content.find(b"\r\n\r\n")
        head = content if end < 0 else content[:end + 2]  # only the header block
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head)
        return str(headers.get("Subject", "") or "")
    except Exception:  # a malformed header must never stop a delivery
        return ""
