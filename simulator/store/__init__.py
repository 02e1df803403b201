"""The durable store: SQLite connections, the writer thread and group commit, the schema, mailboxes and realms.

``db`` owns the database (connections per thread, one writer thread that
commits in groups, the schema and its migrations); ``mailboxes`` is one
realm's view of the mail (what the engines and the viewer use); ``realms``
builds and reads realm names (the server's, a learner's, the journey's). A
feature's own tables live beside its queries (lesson progress in
``simulator.course.progress``, quizzes in ``simulator.quiz.attempts``) and
register their schema here. May import ``simulator.protocols`` (its base
types only), ``simulator.mail``, ``simulator.paths`` and ``simulator.i18n``.
"""
