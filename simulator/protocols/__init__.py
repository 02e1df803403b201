"""Sans-I/O protocol engines, one subpackage per protocol, and what they share.

``base`` holds the types every engine speaks (commands, replies, outcomes,
effects), the engine contract the session relies on (a ``typing.Protocol``)
and the store-refusal error engines raise; ``catalogue`` the shared pieces
of the reply catalogues; ``registry`` the one table of protocols (a
``ProtocolSpec`` each). ``smtp/``, ``pop3/`` and ``imap/`` each hold an
engine, a parser and a reply catalogue.

Nothing here does I/O: no sockets, threads, clocks or databases (a clock or
mailboxes come in through an engine's constructor). May import only
``simulator.mail`` and ``simulator.i18n``.
"""
