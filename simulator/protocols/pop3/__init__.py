"""POP3 (RFC 1939, with RFC 2449's CAPA): the sans-I/O server engine, its parser and its reply catalogue.

May import ``simulator.protocols`` (base, catalogue, ``smtp.parse``'s line
reader), ``simulator.mail`` and ``simulator.i18n``; nothing above. Mailboxes
come in through the engine's constructor, never by import.
"""
