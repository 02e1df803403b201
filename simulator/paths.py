"""Where MailSim's files are, in a checkout and in an installed wheel: the one path resolver.

Two kinds of files travel with MailSim:

* package data (``simulator/data``: the world, presets, scenarios, journeys,
  sample messages), always inside the package;
* the site (``templates/``, ``static/``) and the course (``lessons/``,
  ``quizzes/``), kept at the repository's top level so that teachers and
  authors find them. A built wheel carries them inside the package, in
  ``simulator/_site`` (pyproject.toml's ``force-include``).

Every module asks here rather than walking up from its own ``__file__``:
before this module four places each guessed, and a plain install served no
lesson and no authored question. Imports nothing of MailSim.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DATA = PACKAGE / "data"
_PACKED = PACKAGE / "_site"


def site_dir() -> Path:
    """The folder that holds templates/, static/, lessons/ and quizzes/: the
    repository's root in a checkout or an editable install, ``simulator/_site``
    in a built wheel."""
    if (_PACKED / "templates").is_dir():
        return _PACKED
    return PACKAGE.parent


def templates_dir() -> Path:
    return site_dir() / "templates"


def static_dir() -> Path:
    return site_dir() / "static"


def lessons_dir() -> Path:
    """The course's lessons (``en/``, ``ru/``, ``glossary.toml``)."""
    return site_dir() / "lessons"


def quizzes_dir() -> Path:
    """The authored quiz questions (``*.toml``)."""
    return site_dir() / "quizzes"
