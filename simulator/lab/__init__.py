"""The lab: sessions (engine + fault plan + transcript), faults, scenarios and presets, the real ports, live sessions.

``session`` runs one connection's engine behind its fault plan and records
the transcript; ``faults`` is the fault-plan model and runtime; ``scenarios``
loads the lecture's stories and presets from data files; ``wire`` puts
sessions on real TCP ports. Transports are thin: the same Session runs in the
browser lab, on a real port and in tests. May import ``simulator.store``,
``simulator.protocols``, ``simulator.mail``, ``simulator.paths`` and
``simulator.i18n``; never the web layer.
"""
