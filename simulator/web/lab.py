"""Pages and REST endpoints (docs/api.md, "REST")."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request

from simulator import __version__, i18n
from simulator.lab import scenarios as scenario_data
from simulator.lab.faults import PSEUDO_STAGES, FaultPlan, FaultPlanError, known_stages
from simulator.protocols.registry import PROTOCOLS, spec
from simulator.web.common import (
    current_language,
    error_response,
    may_use_the_real_ports,
    public_url,
    reachable_only_here,
    sim_of,
)

bp = Blueprint("pages", __name__)


@bp.get("/")
def lab():
    """The lab: console, scenarios, faults and the animated diagram."""
    return render_template("lab.html", public_url=public_url(), only_here=reachable_only_here())


@bp.get("/live")
def live():
    """Sessions on the real ports, animated as they happen."""
    return render_template("live.html")


@bp.get("/healthz")
def healthz():
    sim = sim_of(current_app)
    return jsonify({"status": "ok", "version": __version__, "ports": dict(sim.ports)})


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back where the user was."""
    lang = i18n.normalise(code) or i18n.DEFAULT_LANGUAGE
    target = request.args.get("next") or "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    resp = redirect(target)
    resp.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax")
    return resp


@bp.get("/api/catalogue")
def catalogue():
    """A protocol's reply catalogue (?protocol=smtp, pop3 or imap; SMTP by default)."""
    try:
        protocol = _protocol_arg() or "smtp"
    except ValueError:
        return _unknown_protocol()
    data = spec(protocol).replies.catalogue_for_ui()
    # The command stages a fault rule may name: the engine's verbs (the catalogue also
    # explains commands the engine refuses as unknown, such as STARTTLS).
    data["stages"] = [stage for stage in known_stages(protocol) if stage not in PSEUDO_STAGES]
    return jsonify(data)


def _lang_arg() -> str:
    return i18n.normalise(request.args.get("lang")) or current_language()


@bp.get("/api/scenarios")
def scenarios():
    return jsonify(scenario_data.scenarios_for_ui(_lang_arg()))


@bp.get("/api/presets")
def presets():
    return jsonify(scenario_data.presets_for_ui(_lang_arg()))


@bp.get("/api/world")
def world():
    """The simulated mail world's public facts (no passwords): what the console
    offers to complete and the draft message uses."""
    w = sim_of(current_app).world
    return jsonify({
        "domain": w.domain,
        "hostname": w.hostname,
        "users": [{"login": u.login, "address": w.address(u.login), "name": u.name} for u in w.users.values()],
        "lists": [{"login": m.login, "address": w.address(m.login), "name": m.name, "members": list(m.members)}
                  for m in w.lists.values()],
        "moved": [{"login": d.login, "address": w.address(d.login), "name": d.name, "forward": d.forward}
                  for d in w.moved.values()],
        "left": [{"login": d.login, "address": w.address(d.login), "name": d.name, "forward": d.forward}
                 for d in w.left.values()],
    })


def _protocol_arg():
    """The ``protocol`` query parameter (smtp, pop3, imap), None when absent; ValueError when unknown."""
    value = request.args.get("protocol")
    if value is None or value == "":
        return None
    value = value.lower()
    if value not in PROTOCOLS:
        raise ValueError(value)
    return value


def _unknown_protocol():
    return error_response(404, "unknown_protocol", name=(request.args.get("protocol") or "")[:20])


@bp.get("/api/faults")
def get_faults():
    """The real ports' fault plan; with ?protocol=, only that protocol's rules."""
    try:
        protocol = _protocol_arg()
    except ValueError:
        return _unknown_protocol()
    return jsonify(sim_of(current_app).port_plan(protocol).to_json())


@bp.put("/api/faults")
def put_faults():
    """Replace the plan; with ?protocol=, only that protocol's rules (rules default to it)."""
    sim = sim_of(current_app)
    if not may_use_the_real_ports():
        return error_response(401, "unauthorized")
    try:
        protocol = _protocol_arg()
    except ValueError:
        return _unknown_protocol()
    body = request.get_json(silent=True)
    if body is None:
        return error_response(400, "bad_faults", detail="the body must be a JSON object")
    if protocol is not None and isinstance(body, dict):
        body = {"protocol": protocol, **body}
    try:
        plan = FaultPlan.from_json(body)
    except FaultPlanError as exc:
        return error_response(400, "bad_faults", detail=str(exc))
    sim.set_port_plan(plan, protocol)
    return jsonify(sim.port_plan(protocol).to_json())


@bp.delete("/api/faults")
def delete_faults():
    """Remove every rule (or, with ?protocol=, that protocol's rules)."""
    sim = sim_of(current_app)
    if not may_use_the_real_ports():
        return error_response(401, "unauthorized")
    try:
        protocol = _protocol_arg()
    except ValueError:
        return _unknown_protocol()
    sim.set_port_plan(FaultPlan(protocol=protocol or "smtp"), protocol)
    return jsonify(sim.port_plan(protocol).to_json())


@bp.get("/i18n/<lang>.<version>.json")
def strings(lang: str, version: str):
    """A language's merged UI catalogue (simulator/i18n), fetched by static/js/lib/i18n.js.

    Its URL carries a hash of its content (base.html links the current one), so it is
    cached for good; an old hash gets today's catalogue, revalidated on every use."""
    if lang not in i18n.LANGUAGES:
        abort(404)
    body, current = i18n.catalogue_json(lang)
    resp = current_app.response_class(body, mimetype="application/json")
    resp.set_etag(current)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if version == current
                                     else "no-cache")
    return resp.make_conditional(request)
