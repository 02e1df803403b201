"""The journey page (/journey) and its REST list of presets (GET /api/journeys).

The journey itself runs over Socket.IO (``journey.run`` in events.py), on the
connection's learner's own copy of the world; this module only serves the
page and the data the page needs to offer choices: the presets in one
language, the fault model of each hop and the retry schedule.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from simulator import i18n
from simulator.journey.data import FAULT_HOPS, MAX_BODY, MAX_SUBJECT, READ_PROTOCOLS, presets_for_ui
from simulator.journey.run import MAX_ATTEMPTS, QUEUE_LIFETIME, READ_DELAY, RETRY_DELAYS, journey_fault_model
from simulator.web.common import current_language

bp = Blueprint("journey", __name__)


@bp.get("/journey")
def page():
    """The four architectures of the lecture, then the fourth one animated."""
    return render_template("journey.html")


@bp.get("/api/journeys")
def journeys():
    """The presets (?lang=en|ru, default the request's language) and what a free-form journey may use."""
    lang = i18n.normalise(request.args.get("lang")) or current_language()
    return jsonify({
        "presets": presets_for_ui(lang),
        "read": list(READ_PROTOCOLS),
        "hops": list(FAULT_HOPS),
        "fault_model": journey_fault_model(),
        "schedule": {"delays": list(RETRY_DELAYS), "max_attempts": MAX_ATTEMPTS,
                     "lifetime": QUEUE_LIFETIME, "read_delay": READ_DELAY},
        "limits": {"subject": MAX_SUBJECT, "body": MAX_BODY},
    })
