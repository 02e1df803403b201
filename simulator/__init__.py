"""MailSim: an educational simulator of the e-mail protocols SMTP, POP3 and IMAP4."""

__version__ = "0.1.0"
