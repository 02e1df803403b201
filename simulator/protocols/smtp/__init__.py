"""SMTP (RFC 5321): the sans-I/O server engine, its command parser and its reply catalogue.

``engine`` is the state machine, ``parse`` reads command lines and message
content, ``replies`` is the catalogue: every code and text the engine sends,
and what each means in English and Russian. May import ``simulator.protocols``
(base, catalogue), ``simulator.mail`` and ``simulator.i18n``; nothing above.
"""
