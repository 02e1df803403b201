"""IMAP4rev1 (RFC 3501): the sans-I/O server engine, its command reader and parser, its reply catalogue.

``engine`` dispatches; ``folders``, ``fetch`` and ``search`` hold the
command families; ``state`` the engine's snapshot and limits (and what the
command families use of the engine, declared for the type checker);
``structure`` renders ENVELOPE, BODYSTRUCTURE and body sections from
:mod:`simulator.mail.message`; ``reader`` and ``parse`` read
commands, literals and RFC 3501's argument grammar. May import
``simulator.protocols``, ``simulator.mail`` and ``simulator.i18n``; nothing
above. Mailboxes come in through the engine's constructor, never by import.
"""
