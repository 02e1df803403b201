"""Mail itself: messages, addresses, MIME structure and decoding, and the simulated mail world.

Pure functions over bytes, with no I/O beyond reading the packaged world file:
``message`` parses a message into header fields and a tree of MIME parts
(RFC 5322, RFC 2045-2047); ``address`` reads RFC 5322 address lists;
``decode`` undoes transfer encodings, charsets and encoded words, leniently;
``describe`` describes a message's MIME tree for the mailbox viewer;
``world`` is the simulated domain (users, lists, departed users) that every
engine asks who an address belongs to.

It sits below the protocol engines (the IMAP engine renders ENVELOPE and
BODYSTRUCTURE from ``message``), so it may import only ``simulator.paths``
and ``simulator.i18n``.
"""
