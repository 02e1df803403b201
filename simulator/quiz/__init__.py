"""Quizzes: the question bank drawn from the simulator itself, authored questions, attempts, results and exports.

``bank`` gathers questions from ``generate`` (the reply and command
catalogues), ``predict`` (scenarios played against the real engines) and
``authored`` (``quizzes/*.toml``); ``spec`` checks a quiz's selection and a
response; ``attempts`` keeps quizzes, attempts, grading and spaced review
(its tables beside its queries); ``export`` writes GIFT and Moodle XML. May
import ``simulator.course`` (a learner's personal name), ``simulator.lab``,
``simulator.store``, ``simulator.protocols``, ``simulator.mail``,
``simulator.paths`` and ``simulator.i18n``.
"""
