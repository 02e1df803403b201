"""Realm names, built and read in one place.

A realm is one independent copy of the mail world in the store (see
:mod:`simulator.store.db`). Its name says whose it is:

``server``                 what the real TCP ports use
``learner:<id>``           a browser learner's private copy (``<id>``: the cookie's)
``learner:<id>:net``       the same learner's sending domain on the journey page
``viewer:default``         a pristine copy the mail viewer shows before a learner has one (never written)
``quiz``, ``lesson-check`` throw-away realms of in-memory stores (replays, reference solutions)

Imports nothing of MailSim.
"""
from __future__ import annotations

from typing import Optional

SERVER = "server"
PRISTINE = "viewer:default"
QUIZ = "quiz"
LESSON_CHECK = "lesson-check"
LEARNER_PREFIX = "learner:"
MAX_NAME = 100  # characters in a realm name


def learner(learner_id: str) -> str:
    """The learner's own copy of the world."""
    return f"{LEARNER_PREFIX}{learner_id}"


def learner_net(learner_id: str) -> str:
    """The learner's sending domain on the journey page (another domain than the world's)."""
    return f"{LEARNER_PREFIX}{learner_id}:net"


def learner_realms(learner_id: str) -> tuple[str, ...]:
    """Every realm that belongs to one learner."""
    return (learner(learner_id), learner_net(learner_id))


def learner_of(realm: str) -> Optional[str]:
    """The learner id a realm belongs to, or None for a realm that is no learner's."""
    if not realm.startswith(LEARNER_PREFIX):
        return None
    rest = realm[len(LEARNER_PREFIX):]
    return rest[:-len(":net")] if rest.endswith(":net") else rest
