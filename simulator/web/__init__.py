"""The web layer: Flask app factory, pages and REST (routes.py), Socket.IO (events.py)."""
from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path
from typing import Optional

from flask import Flask, g, request
from flask_socketio import SocketIO

from simulator import i18n, paths

socketio = SocketIO()

# Largest Socket.IO/Engine.IO packet accepted; a bigger frame closes that one
# connection (python-engineio enforces it), never the server.
MAX_PACKET = 64 * 1024

# The anonymous learner id: a long-lived random cookie, no sign-up. It names the
# learner's private copy of the world (mail store realm "learner:<id>").
LEARNER_COOKIE = "mailsim_learner"
LEARNER_MAX_AGE = 5 * 365 * 24 * 3600
_LEARNER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def create_app(config: Optional[dict] = None, simulator=None) -> Flask:
    """Build the Flask app around one :class:`simulator.server.Simulator`."""
    from simulator.app import Simulator

    app = Flask(__name__, template_folder=str(paths.templates_dir()),
                static_folder=str(paths.static_dir()), static_url_path="/static")
    app.config.update(SECRET_KEY="mailsim", JSON_SORT_KEYS=False,
                      SEND_FILE_MAX_AGE_DEFAULT=0, TEMPLATES_AUTO_RELOAD=True)
    if config:
        app.config.update(config)
    app.extensions["mailsim"] = simulator or Simulator()

    @app.context_processor
    def _globals():
        lang = current_language()
        sim = app.extensions["mailsim"]
        return {
            "lang": lang,
            "t": lambda key, **params: i18n.t(lang, key, **params),
            "i18n_strings": i18n.catalogue(lang),
            "ports": dict(sim.ports),
            "page": request.endpoint or "",
        }

    @app.after_request
    def _learner_cookie(response):
        # Every visitor gets an id on first sight; it is renewed so it lives as long as it is used.
        if request.endpoint != "static":
            response.set_cookie(LEARNER_COOKIE, current_learner(create=True), max_age=LEARNER_MAX_AGE,
                                samesite="Lax", httponly=True)
        return response

    from simulator.web import (events, journey as journeyview, lessons as lessonsview, mail as mailview,
        quiz as quizview, lab as routes)  # noqa: F401  (registers handlers)

    app.register_blueprint(routes.bp)
    app.register_blueprint(mailview.bp)  # /mail and /api/mail (the mailbox viewer)
    app.register_blueprint(journeyview.bp)  # /journey and /api/journeys (a message's journey)
    app.register_blueprint(lessonsview.bp)  # /lessons and /api/lessons (the course, progress)
    app.register_blueprint(quizview.bp)  # /quizzes, /api/quizzes and the teacher's /teacher pages
    socketio.init_app(app, async_mode="threading", max_http_buffer_size=MAX_PACKET,
                      ping_interval=20, ping_timeout=20, cors_allowed_origins=None,
                      # Handlers only validate and enqueue, so one connection's
                      # events are handled in order on its own thread: no thread
                      # per event (benchmarks/: 12-44% less CPU per round trip).
                      async_handlers=False,
                      logger=False, engineio_logger=False)
    events.attach(app)
    return app


def current_language() -> str:
    return i18n.pick_language(request.cookies.get("lang"), request.accept_languages)


def current_learner(create: bool = False) -> Optional[str]:
    """The learner id of this request's cookie (or a new one, with ``create``)."""
    learner = g.get("learner")
    if learner is None:
        value = request.cookies.get(LEARNER_COOKIE, "")
        learner = value if _LEARNER_ID.fullmatch(value) else None
        if learner is None and create:
            learner = secrets.token_urlsafe(18)
        g.learner = learner
    return learner


def sim_of(app: Flask):
    return app.extensions["mailsim"]
