"""A message's journey: the lecture's fourth architecture, hop by hop, with the real engines.

``run`` plays the journey (submission, DNS MX, relay, delivery, reading);
``clients`` are small sans-I/O mail clients; ``dns`` the simulated resolver;
``dsn`` the messages, trace lines and bounces; ``data`` the journeys file
and the learner's fault choices. May import ``simulator.lab``,
``simulator.store``, ``simulator.protocols``, ``simulator.mail``,
``simulator.paths`` and ``simulator.i18n``.
"""
