"""What every page family of the web layer shares: the request's learner and language,
the error envelope, the JSON body reader, the Origin check and the teacher's key.

One of each: before this module the JSON body was read four ways, errors had
two shapes, and the teacher key was compared in three places.

* Errors, JSON and Socket.IO alike, are ``{"ok": false, "error": {"code",
  "message"}}``, the message in the learner's language from the catalogue of
  the page family (``web.error.<code>``, ``mail.error.<code>``...). Raise
  :class:`ApiError` (or answer :func:`error_response`).
* :func:`json_body` reads a request's JSON object: at most ``MAX_BODY``
  bytes, UTF-8 JSON, an object, sent by a page of this site.
* The teacher: :func:`is_teacher` (the key as a Bearer token, or the cookie
  made from it) and :func:`may_use_the_real_ports` (the rule for changing
  the real ports' faults and reading their mail: anyone on a loopback-only
  server, else the key).

May import anything below the web layer (``simulator.app`` and down); the
page modules import this, never each other.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
from typing import Any, Literal, Optional, overload
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, jsonify, request
from flask_socketio import SocketIO

from simulator import i18n

socketio = SocketIO()

# Largest Socket.IO/Engine.IO packet accepted; a bigger frame closes that one
# connection (python-engineio enforces it), never the server.
MAX_PACKET = 64 * 1024
MAX_BODY = 16 * 1024  # bytes of a JSON request body: answers, names, settings are small

# The anonymous learner id: a long-lived random cookie, no sign-up. It names the
# learner's private copy of the world (mail store realm "learner:<id>").
LEARNER_COOKIE = "mailsim_learner"
LEARNER_MAX_AGE = 5 * 365 * 24 * 3600
_LEARNER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

TEACHER_COOKIE = "mailsim_teacher"
TEACHER_MAX_AGE = 30 * 24 * 3600


def sim_of(app: Optional[Flask] = None):
    """The running MailSim (:class:`simulator.app.Simulator`) of ``app`` (default: this request's)."""
    return (app or current_app).extensions["mailsim"]


def current_language() -> str:
    return i18n.pick_language(request.cookies.get("lang"), request.accept_languages)


@overload
def current_learner(create: Literal[True]) -> str: ...
@overload
def current_learner(create: bool = False) -> Optional[str]: ...


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


# ---------------------------------------------------------------- errors
class ApiError(Exception):
    """An answer other than success: ``code`` names the message ``<area>.error.<code>``."""

    def __init__(self, code: str, status: int = 400, *, area: str = "web", **params: Any):
        super().__init__(code)
        self.code = code
        self.status = status
        self.area = area
        self.params = params


def error_body(code: str, message: str) -> dict:
    """The error envelope, for JSON answers and Socket.IO acknowledgements."""
    return {"ok": False, "error": {"code": code, "message": message}}


def error_message(area: str, code: str, lang: Optional[str] = None, **params: Any) -> str:
    return i18n.t(lang or current_language(), f"{area}.error.{code}", **params)


def error_response(status: int, code: str, *, area: str = "web", **params: Any) -> Response:
    resp = jsonify(error_body(code, error_message(area, code, **params)))
    resp.status_code = status
    return private(resp)


def private(resp: Response) -> Response:
    """Never cached by the browser or a proxy; never sniffed as another type."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


# ------------------------------------------------------------- the request
def same_origin() -> bool:
    """Did a page of this site send the request? (a JSON POST cannot come cross-site without CORS)"""
    origin = request.headers.get("Origin")
    if not origin:
        return True  # same-origin fetch() of older browsers
    try:
        return urlsplit(origin).netloc.lower() == request.host.lower()
    except ValueError:
        return False


def json_body(area: str = "web", limit: int = MAX_BODY) -> dict:
    """The request's JSON object: at most ``limit`` bytes, JSON, an object, from this site (else ApiError)."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError("too_large", 413, area=area)
    if not request.is_json:
        raise ApiError("not_json", area=area)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise ApiError("too_large", 413, area=area)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ApiError("not_json", area=area) from None
    if not isinstance(data, dict):
        raise ApiError("not_json", area=area)
    if not same_origin():
        raise ApiError("cross_site", 403, area=area)
    return data


# ------------------------------------------------------------- the teacher
def teacher_key_matches(supplied: Optional[str]) -> bool:
    """The one comparison with the teacher key (constant time; never true without a key)."""
    key = sim_of().teacher_key
    if not key or not supplied:
        return False
    return hmac.compare_digest(supplied.encode("utf-8", "replace"), key.encode("utf-8"))


def teacher_cookie_value(key: str) -> str:
    """What the teacher cookie holds: derived from the key (the key itself never sits in a cookie)."""
    return hmac.new(key.encode("utf-8"), b"mailsim-teacher-cookie", hashlib.sha256).hexdigest()


def bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def is_teacher() -> bool:
    """Does this request carry the teacher key (Bearer header) or the cookie made from it?"""
    if teacher_key_matches(bearer()):
        return True
    key = sim_of().teacher_key
    cookie = request.cookies.get(TEACHER_COOKIE, "")
    return bool(key) and bool(cookie) and hmac.compare_digest(cookie.encode("utf-8", "replace"),
                                                              teacher_cookie_value(key).encode())


def may_use_the_real_ports() -> bool:
    """Change the real ports' fault plan, read their mail: a loopback-only server trusts its one
    machine; otherwise the teacher key, as a Bearer token."""
    return sim_of().loopback_only or teacher_key_matches(bearer())


# ------------------------------------------------------------- the course
def find_task(slug: str, task_id: str):
    """A lesson task by lesson and id (any language: the checks are the same)."""
    lesson = sim_of().course.current().get(slug, "en")
    return lesson.task(task_id) if lesson else None


# ------------------------------------------------------ the public address
_WILDCARD = ("0.0.0.0", "::", "")


def _is_loopback_name(host: str) -> bool:
    host = host.lower().strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.") or host.endswith(".localhost")


def _network_address() -> Optional[str]:
    """This machine's address on its network (the one a packet out would leave from), or None.

    A UDP socket's connect sends nothing; it only picks the route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("10.255.255.255", 1))
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if not address or _is_loopback_name(address) or address == "0.0.0.0" else address


def _trusted_proxy() -> Optional[str]:
    """What a reverse proxy on this machine says the request was for (X-Forwarded-Proto/Host), or None.

    Only a proxy on the loopback interface is trusted: anyone else could send the headers."""
    if not _is_loopback_name(request.remote_addr or ""):
        return None
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    if not host or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]{1,255}", host):
        return None
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return f"{proto if proto in ('http', 'https') else request.scheme}://{host}"


def public_url() -> str:
    """MailSim's public address, without a trailing slash: the one resolver every link learners get uses.

    In order: the explicit ``mailsim serve --public-url``; then what a trusted proxy
    says (X-Forwarded-Host and -Proto, from a proxy on this machine); then the bound
    address: a server bound to one network address gives it, a server bound to every
    interface gives the address the request came to unless that was a loopback one
    (the teacher's own browser), in which case this machine's network address, with
    the request's port. A loopback-only server gives the request's address (it is
    reachable from this machine only; :func:`reachable_only_here` says so)."""
    sim = sim_of()
    explicit = sim.public_url
    if explicit:
        return str(explicit).rstrip("/")
    proxied = _trusted_proxy()
    if proxied:
        return proxied
    here = request.host_url.rstrip("/")
    if sim.loopback_only:
        return here
    parts = urlsplit(here)
    if not _is_loopback_name(parts.hostname or ""):
        return here
    bound = (sim.host or "").strip("[]")
    address = bound if bound not in _WILDCARD else _network_address()
    if not address:
        return here
    netloc = f"[{address}]" if ":" in address else address
    return f"{parts.scheme}://{netloc}" + (f":{parts.port}" if parts.port else "")


def reachable_only_here() -> bool:
    """Do the links :func:`public_url` builds work only on this machine (a loopback-only server, no --public-url)?"""
    sim = sim_of()
    return not sim.public_url and bool(sim.loopback_only) and _trusted_proxy() is None
