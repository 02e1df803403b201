"""The web layer: the Flask app factory, one module per page family, and what they share.

``common`` holds what every page family shares (the learner and language
of a request, the error envelope, the JSON body, the Origin check, the
teacher's key, the Socket.IO server); ``lab`` the lab and Live pages and
the REST API around them; ``events`` the Socket.IO API; ``mail``,
``journey``, ``lessons`` and ``quiz`` their pages and APIs. The page modules
import ``common`` and the packages below, never each other; this module
imports them all to register their routes.

May import ``simulator.app`` and every package below it.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask, request, url_for

from simulator import i18n, paths
from simulator.app import Simulator
from simulator.course.lessons import CourseFiles
from simulator.protocols import registry
from simulator.web import events, journey, lab, lessons, mail, quiz
from simulator.web.common import (
    LEARNER_COOKIE,
    LEARNER_MAX_AGE,
    MAX_PACKET,
    current_language,
    current_learner,
    sim_of,
    socketio,
)

__all__ = ["create_app", "socketio", "sim_of", "current_language", "current_learner", "LEARNER_COOKIE"]


def create_app(config: Optional[dict[str, Any]] = None, simulator: Optional[Simulator] = None) -> Flask:
    """Build the Flask app around one :class:`simulator.app.Simulator` (a new one by default).

    ``config["LESSONS_DIR"]`` serves the lessons of another folder (tests, authors)."""
    app = Flask(__name__, template_folder=str(paths.templates_dir()),
                static_folder=str(paths.static_dir()), static_url_path="/static")
    app.config.update(SECRET_KEY="mailsim", JSON_SORT_KEYS=False,
                      SEND_FILE_MAX_AGE_DEFAULT=0, TEMPLATES_AUTO_RELOAD=True)
    if config:
        app.config.update(config)
    sim = simulator or Simulator()
    if app.config.get("LESSONS_DIR"):
        sim.course = CourseFiles(app.config["LESSONS_DIR"])
    app.extensions["mailsim"] = sim

    @app.context_processor
    def _globals():
        lang = current_language()
        return {
            "lang": lang,
            "t": lambda key, **params: i18n.t(lang, key, **params),
            # The page links its language's catalogue (static/js/lib/i18n.js fetches it), by content hash.
            "i18n_url": url_for("pages.strings", lang=lang, version=i18n.catalogue_json(lang)[1]),
            "ports": dict(sim.ports),
            "protocols": registry.SPECS,  # the protocols, in order: pages list them from the one table
            "page": request.endpoint or "",
        }

    @app.after_request
    def _learner_cookie(response):
        # Every visitor gets an id on first sight; it is renewed so it lives as long as it is used.
        # Not on files every visitor shares (static files, the catalogues): a shared cache may keep those.
        if request.endpoint not in ("static", "pages.strings"):
            response.set_cookie(LEARNER_COOKIE, current_learner(create=True), max_age=LEARNER_MAX_AGE,
                                samesite="Lax", httponly=True)
        return response

    app.register_blueprint(lab.bp)  # /, /live, /healthz and the REST API of the lab
    app.register_blueprint(mail.bp)  # /mail and /api/mail (the mailbox viewer)
    app.register_blueprint(journey.bp)  # /journey and /api/journeys (a message's journey)
    app.register_blueprint(lessons.bp)  # /lessons and /api/lessons (the course, progress)
    app.register_blueprint(quiz.bp)  # /quizzes, /api/quizzes and the teacher's /teacher pages
    socketio.init_app(app, async_mode="threading", max_http_buffer_size=MAX_PACKET,
                      ping_interval=20, ping_timeout=20, cors_allowed_origins=None,
                      # Handlers only validate and enqueue, so one connection's
                      # events are handled in order on its own thread: no thread
                      # per event (benchmarks/: 12-44% less CPU per round trip).
                      async_handlers=False,
                      logger=False, engineio_logger=False)
    events.attach(app)
    return app
