"""MailSim: an educational simulator of the e-mail protocols SMTP, POP3 and IMAP4.

The package tree states the architecture (docs/architecture.md), bottom to
top: ``paths`` and ``i18n`` (foundations), ``mail`` (messages, MIME, the
world), ``protocols`` (sans-I/O engines), ``store`` (SQLite), ``lab``
(sessions, faults, scenarios, real ports), ``journey``, ``course`` and
``quiz``, ``app`` (the composition root), ``web`` and ``cli``. Each imports
only from the rows below it; tests/test_architecture.py checks it.
"""

__version__ = "0.1.0"
