"""The mailbox viewer: the /mail page and its read-only JSON API (docs/api.md, "Mail viewer").

A learner looks at their own copy of the world (realm ``learner:<cookie id>``,
the one their lab sessions deliver to and read from); a teacher may switch
to the real ports' realm (``server``), which off loopback needs the teacher
key, as changing the real ports' faults does. Nothing here writes mail
except ``POST /api/mail/reset``, which restores the learner's own realm to
the default world. Opening a message does not mark it \\Seen: the viewer
shows the store as the protocols left it.

Every answer is JSON (errors as ``{"ok": false, "error": {"code", "message"}}`` in the
request's language) except the downloads, which are always attachments with
``X-Content-Type-Options: nosniff`` and a sandboxing CSP, so no part of a
message is ever rendered by the browser as a page of this site.
"""
from __future__ import annotations

import mimetypes
import re
import unicodedata
from typing import Optional
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from simulator.mail import describe as mime
from simulator.mail.message import decode_words, parse
from simulator.store import realms
from simulator.store.db import BadMailboxName, MailStoreError, NoSuchMailbox, NoSuchMessage
from simulator.web.common import (
    ApiError,
    current_language,
    current_learner,
    error_response,
    json_body,
    may_use_the_real_ports,
    private,
    sim_of,
)

bp = Blueprint("mail", __name__)

REALMS = ("mine", "server")
# Cookie-less callers (scripts) read this pristine copy of the default world,
# so they never make a realm per request; it is never written.
PRISTINE_REALM = realms.PRISTINE
SOURCE_LIMIT = 1 << 20        # characters of raw source in a message's JSON
HEAD_LIMIT = 64 * 1024        # bytes searched for the end of the header in listings
LIST_DEFAULT, LIST_MAX = 200, 2000
FIELD_LIMIT = 500             # characters of Subject/From/To/Date in listings
MAX_UID = 2 ** 32 - 1         # UIDs are 32-bit, non-zero (RFC 3501 §2.3.1.1)
MAX_FOLDER = 200              # the store's own limit on folder names

_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_UID = re.compile(r"[0-9]{1,10}")
# IMAP section numbers as mime.describe() names parts: "2", "1.2", "2.TEXT".
_PATH = re.compile(r"[1-9][0-9]{0,4}(?:\.[1-9][0-9]{0,4}){0,40}(?:\.TEXT)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_END = re.compile(rb"\r?\n\r?\n")

# Media types a browser could run or render as a document: downloaded as
# plain bytes, never under their own type (the attachment disposition is the
# first guard, this the second).
_ACTIVE = re.compile(r"html|xml|script|svg|xsl|/x-shockwave|/pdf\+|/vnd\.wap", re.I)
_EXTENSIONS = {"text/plain": ".txt", "text/html": ".html", "message/rfc822": ".eml", "text/csv": ".csv",
               "text/calendar": ".ics", "image/jpeg": ".jpg", "application/octet-stream": ".bin"}
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")

DOWNLOAD_CSP = "default-src 'none'; sandbox"
# The page: only this site's scripts and styles; nothing from the internet. A
# message's HTML is shown in an <iframe sandbox="" srcdoc>, which inherits this
# policy (no remote images, no scripts) and cannot navigate to another site.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def MailApiError(status: int, code: str, **params) -> ApiError:
    """An answer other than 200: ``code`` names the string ``mail.error.<code>``."""
    return ApiError(code, status, area="mail", **params)


def _error(status: int, code: str, **params) -> Response:
    return error_response(status, code, area="mail", **params)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, area=exc.area, **exc.params)


@bp.errorhandler(MailStoreError)
def _store_error(exc: MailStoreError):
    if isinstance(exc, NoSuchMessage):
        return _error(404, "unknown_message")
    if isinstance(exc, NoSuchMailbox):
        return _error(404, "unknown_folder")
    if isinstance(exc, BadMailboxName):
        return _error(400, "bad_folder")
    current_app.logger.exception("mail viewer: store error")
    return _error(500, "internal")


# ------------------------------------------------------------------ arguments

def _realm_name() -> str:
    name = request.args.get("realm", "mine") or "mine"
    if name not in REALMS:
        raise MailApiError(400, "bad_realm")
    return name


def _mailboxes(realm: str):
    """The Mailboxes view this request may read; 401 for the server realm without the key off loopback."""
    sim = sim_of(current_app)
    if realm == "server":
        if not may_use_the_real_ports():
            raise MailApiError(401, "unauthorized")
        return sim.store.server
    learner = current_learner()
    if learner is None:
        return sim.store.realm(PRISTINE_REALM)
    return sim.learner_mailboxes(learner)


def _user(mb, user: str) -> str:
    if not _USER.fullmatch(user):
        raise MailApiError(400, "bad_user")
    login = user.lower()
    if login not in mb.world.users:
        raise MailApiError(404, "unknown_user", user=user)
    return login


def _folder_arg() -> str:
    name = request.args.get("folder", "INBOX")
    if not name or len(name) > MAX_FOLDER or _CONTROL.search(name):
        raise MailApiError(400, "bad_folder")
    return name


def _uid(value: str) -> int:
    if not _UID.fullmatch(value):
        raise MailApiError(400, "bad_uid")
    uid = int(value)
    if not 1 <= uid <= MAX_UID:
        raise MailApiError(400, "bad_uid")
    return uid


def _limit() -> int:
    value = request.args.get("limit")
    if value is None or value == "":
        return LIST_DEFAULT
    if not value.isdigit() or not 1 <= int(value) <= LIST_MAX:
        raise MailApiError(400, "bad_limit", max=LIST_MAX)
    return int(value)


def _message(mb, login: str, folder: str, uid: int):
    """(MsgInfo, raw bytes) of one message; 404 when the folder or the UID is not there."""
    info = next((m for m in mb.listing(login, folder) if m.uid == uid), None)
    if info is None:
        raise MailApiError(404, "unknown_message", uid=uid)
    return info, mb.content(login, folder, uid)


# ------------------------------------------------------------------ JSON shapes

def _folder_json(f) -> dict:
    return {"name": f.name, "exists": f.exists, "unseen": f.unseen, "uidvalidity": f.uidvalidity,
            "uidnext": f.uidnext, "version": f.version}


def overview(mb, realm: str) -> dict:
    """Every user of the realm's world with their folders."""
    world = mb.world
    users = []
    for login in sorted(world.users):
        user = world.users[login]
        users.append({"login": login, "name": user.name, "address": world.address(login),
                      "folders": [_folder_json(f) for f in mb.folders(login)]})
    return {"realm": realm, "users": users}


def summary(raw: bytes) -> dict:
    """Subject, From, To and Date of a message, decoded, from its header alone."""
    found = _HEADER_END.search(raw, 0, HEAD_LIMIT)
    root = parse(raw[:found.end()] if found else raw[:HEAD_LIMIT]).root
    out = {}
    for name in ("subject", "from", "to", "date"):
        value = root.first(name.encode())
        out[name] = decode_words(value)[0][:FIELD_LIMIT] if value is not None else None
    return out


def _problem_keys(node: dict, found: set) -> set:
    found.update(node.get("problems", ()))
    for child in node.get("children", ()):
        _problem_keys(child, found)
    return found


# ------------------------------------------------------------------ the page

@bp.get("/mail")
def page():
    """The three-pane viewer; the query string (realm, user, folder, uid, tab) is read by mail.js."""
    resp = make_response(render_template("mail.html"))
    resp.headers["Content-Security-Policy"] = PAGE_CSP
    return resp


# ------------------------------------------------------------------ API

@bp.get("/api/mail")
def api_overview():
    """``?realm=mine|server``: the users and their folders (name, exists, unseen, uidvalidity, uidnext)."""
    realm = _realm_name()
    return private(jsonify(overview(_mailboxes(realm), realm)))


@bp.get("/api/mail/<user>/messages")
def api_messages(user: str):
    """A folder's messages, newest first: uid, flags, dates, size, Subject, From, To, Date."""
    realm = _realm_name()
    mb = _mailboxes(realm)
    login = _user(mb, user)
    folder = mb.folder(login, _folder_arg())
    limit = _limit()
    listing = sorted(mb.listing(login, folder.name), key=lambda m: (m.internal_date, m.uid), reverse=True)
    messages = []
    for info in listing[:limit]:
        try:
            raw = mb.content(login, folder.name, info.uid)
        except NoSuchMessage:  # expunged since the listing
            continue
        messages.append({"uid": info.uid, "flags": list(info.flags), "internal_date": info.internal_date,
                         "size": info.size, **summary(raw)})
    return private(jsonify({"realm": realm, "user": login, "folder": _folder_json(folder),
                             "total": len(listing), "truncated": len(listing) > limit, "messages": messages}))


@bp.get("/api/mail/<user>/message/<uid>")
def api_message(user: str, uid: str):
    """One message: flags, internal date, its MIME description and the raw source (cut at 1 MiB)."""
    realm = _realm_name()
    mb = _mailboxes(realm)
    login = _user(mb, user)
    number = _uid(uid)
    folder = mb.folder(login, _folder_arg())
    info, raw = _message(mb, login, folder.name, number)
    description = mime.describe(raw)
    lang = current_language()
    problems = _problem_keys(description["tree"], set(description["problems"]))
    source = raw[:SOURCE_LIMIT].decode("utf-8", "replace")
    return private(jsonify({
        "realm": realm, "user": login, "folder": folder.name, "uid": info.uid, "flags": list(info.flags),
        "internal_date": info.internal_date, "size": info.size,
        "summary": summary(raw),
        "description": description,
        "problem_texts": {k: mime.PROBLEMS[k].get(lang) or mime.PROBLEMS[k]["en"]
                          for k in sorted(problems) if k in mime.PROBLEMS},
        "source": source, "source_truncated": len(raw) > SOURCE_LIMIT,
    }))


@bp.get("/api/mail/<user>/message/<uid>/raw")
def api_raw(user: str, uid: str):
    """The message as stored: text/plain to read, or with ``?download=1`` an .eml attachment."""
    realm = _realm_name()
    mb = _mailboxes(realm)
    login = _user(mb, user)
    number = _uid(uid)
    folder = mb.folder(login, _folder_arg())
    _info, raw = _message(mb, login, folder.name, number)
    if request.args.get("download"):
        name = safe_filename(f"{login}-{folder.name.replace('/', '-')}-{number}.eml", f"message-{number}.eml")
        return download(raw, "message/rfc822", name)
    resp = make_response(raw)
    resp.headers["Content-Type"] = "text/plain; charset=utf-8"
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return private(resp)


@bp.get("/api/mail/<user>/message/<uid>/part/<path:path>")
def api_part(user: str, uid: str, path: str):
    """One MIME part, its transfer encoding undone, as a download (never shown inline)."""
    realm = _realm_name()
    mb = _mailboxes(realm)
    login = _user(mb, user)
    number = _uid(uid)
    if not _PATH.fullmatch(path):
        raise MailApiError(400, "bad_part")
    folder = mb.folder(login, _folder_arg())
    _info, raw = _message(mb, login, folder.name, number)
    found = mime.part_bytes(raw, path)
    if found is None:
        raise MailApiError(404, "unknown_part", part=path)
    content_type, filename, data = found
    fallback = f"part-{path}{_extension(content_type)}"
    return download(data, content_type, safe_filename(filename, fallback))


@bp.post("/api/mail/reset")
def api_reset():
    """Restore the learner's own mail to the default world; answers the new overview.

    Only a JSON request from this site is taken: a cross-site form cannot
    send ``Content-Type: application/json``, and a page of another origin
    that tries with fetch() is stopped by the Origin check (and by CORS).
    """
    json_body(area="mail")
    sim = sim_of(current_app)
    learner = current_learner(create=True)
    realm = realms.learner(learner)
    sim.store.reset_realm(realm)
    return private(jsonify({"ok": True, **overview(sim.learner_mailboxes(learner), "mine")}))


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _http_error(exc: HTTPException):
    """Under /api/mail, routing errors answer in JSON too (other paths keep Flask's pages)."""
    if not (request.path == "/api/mail" or request.path.startswith("/api/mail/")):
        return exc.get_response()
    if exc.code == 405:
        resp = _error(405, "method_not_allowed")
        resp.headers["Allow"] = ", ".join(sorted(getattr(exc, "valid_methods", None) or ()))
        return resp
    return _error(404, "not_found")


# ------------------------------------------------------------------ helpers

def _extension(content_type: str) -> str:
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type, strict=False) or ".bin"


def safe_filename(name: Optional[str], fallback: str) -> str:
    """A file name that is only a name: no folders, control or bidi characters, reserved names or quotes."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*;%]', "_", name).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:100] + dot + ext[:15]) if dot and stem else name[:120]
    if not name or _WINDOWS_RESERVED.fullmatch(name):
        return fallback
    return name


def download(data: bytes, content_type: str, filename: str) -> Response:
    """``data`` as an attachment named ``filename``; active types travel as application/octet-stream."""
    resp = make_response(bytes(data))
    resp.headers["Content-Type"] = "application/octet-stream" if _ACTIVE.search(content_type) else content_type
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip(" .") or "download"
    resp.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                           f"filename*=UTF-8''{quote(filename, safe='')}")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return private(resp)
