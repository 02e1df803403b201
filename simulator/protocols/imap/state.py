"""The IMAP engine's state, and what its command mixins use of the engine.

:class:`ImapSnapshot` is the protocol state (immutable, comparable), with
the selected folder as one :class:`Entry` per message; :class:`ImapLimits`
the server's limits. They live here, below ``engine``, ``fetch``,
``folders`` and ``search``, so that each of those can name them without an
import cycle.

:class:`EngineParts` is the base of the command mixins (``FolderCommands``,
``MessageCommands``, ``SearchCommand``). At run time it is an empty class;
for the type checker it declares the attributes and methods of
:class:`~.engine.ImapEngine` (and of the other mixins) that the mixins call.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional

if TYPE_CHECKING:
    from collections import OrderedDict

    from simulator.protocols.base import Outcome, StoreRefused
    from simulator.protocols.imap.replies import ImapReply


@dataclass(frozen=True)
class Entry:
    """One message of the selected folder as this session knows it.

    ``gone`` marks a message another session expunged that this one may not
    report yet (no EXPUNGE during FETCH, STORE or SEARCH: RFC 3501 §7.4.1);
    it keeps its sequence number until then.
    """

    uid: int
    flags: tuple[str, ...]
    date: float
    size: int
    gone: bool = False


@dataclass(frozen=True)
class ImapLimits:
    """The server's limits."""

    command_line: int = 8192                   # octets of command text (outside literals), CRLFs included
    max_literal: int = 10 * 1024 * 1024        # octets of literal data in one command (APPEND's message)
    max_errors: int = 20                       # BAD replies before BYE and close
    max_auth_failures: int = 3                 # failed LOGIN/AUTHENTICATE before BYE and close
    cache_size: int = 16                       # parsed messages kept (LRU)


@dataclass(frozen=True)
class ImapSnapshot:
    """The protocol state: what a refused command must leave unchanged.

    ``view`` is the selected folder as this session knows it; ``recent`` the
    UIDs recent for this session; ``keywords`` those announced in FLAGS;
    ``announced`` per (folder, UIDVALIDITY) the highest UID reported so far
    (for \\Recent); ``mode`` is "command", "auth" (AUTHENTICATE waits for the
    client's response) or "idle", and ``pending`` that command's tag.
    """

    state: str = "not_authenticated"
    user: Optional[str] = None
    mailbox: Optional[str] = None
    read_only: bool = False
    uidvalidity: int = 0
    view: tuple[Entry, ...] = ()
    recent: frozenset[int] = frozenset()
    keywords: tuple[str, ...] = ()
    announced: tuple[tuple[str, int, int], ...] = ()
    mode: str = "command"
    pending: Optional[str] = None


class EngineParts:
    """The engine as its command mixins see it: declarations for the type checker, nothing at run time."""

    if TYPE_CHECKING:
        StoreError: ClassVar[type[StoreRefused]]
        mb: Any                            # the mailboxes (the store's view of one realm)
        now: Callable[[], float]
        limits: ImapLimits
        _snap: ImapSnapshot
        _cache: OrderedDict[Any, tuple[bytes, Any]]
        _shared: Any                       # the store's cache shared by every session, or None
        _realm: str

        @property
        def state(self) -> str: ...
        def _set(self, **changes: Any) -> None: ...
        def _reply(self, key: str, tag: Optional[str] = None, **params: Any) -> ImapReply: ...
        def _say(self, key: str, **params: Any) -> Outcome: ...
        def _deselect(self) -> None: ...
        def _announce(self, top: int) -> None: ...
        # from MessageCommands, used by the other mixins
        def _content(self, entry: Entry) -> Optional[tuple[bytes, Any]]: ...
        def _arrived(self, entries: list[Entry]) -> list[bytes]: ...
