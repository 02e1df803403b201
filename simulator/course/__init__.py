"""The course: self-paced lessons as data files, their tasks checked against the learner's own sessions, and progress.

``lessons`` reads lesson files, steps and the glossary; ``blocks`` is the
model and parsing of widgets and tasks; ``check`` checks a task against
transcripts and plays reference solutions; ``progress`` keeps each learner's
progress (its tables live beside its queries). May import ``simulator.lab``,
``simulator.store``, ``simulator.protocols``, ``simulator.mail``,
``simulator.paths`` and ``simulator.i18n``.
"""
