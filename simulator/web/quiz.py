"""Quizzes on the web: the learner's pages and API, and the teacher's pages, API and exports (issue 5).

The flow is simulator/quizzes.py (storage in the mail store, grading through
the question bank); this module checks requests, finds the learner (the
anonymous ``mailsim_learner`` cookie, as the lessons do) and the teacher, and
answers. Every write is committed before the answer leaves. The right answer
never goes out before the learner has answered: pages hold no question at
all (quiz.js fetches the current one), and the API sends only the current
question's public form.

Pages (template and context; every page also gets base.html's globals)
----------------------------------------------------------------------
``GET /quizzes`` -> quizzes.html
    ``due`` (int: questions due for review), ``protocols`` (["smtp", "pop3", "imap"]),
    ``types`` (list of question type ids; their labels are quiz.type.<id>), ``topics``, ``defaults``
    ({count, max_count, time_limit_s, min_time_limit_s, max_time_limit_s, review_count}),
    ``api_url`` (POST here to start), ``me_url``.
``GET /quizzes/q/<quiz_id>`` -> quiz_shared.html
    ``quiz`` {id, title, count, mode, time_limit_s, spec (without the seed), shuffle, require_name, closed},
    ``name`` (the learner's name saved on /lessons, to prefill the name field), ``api_url``. 404 if unknown.
``GET /quizzes/attempt/<attempt_id>`` -> quiz_take.html
    ``attempt_id``, ``api_url`` (GET it for the state, POST ``api_url + "/answer"`` and
    ``"/finish"``), ``title`` (a shared quiz's title or None). 404 if unknown or not this learner's.
``GET /quizzes/me`` -> quiz_me.html
    ``api_url`` (GET /api/quizzes/me).
``GET /teacher`` -> teacher_login.html
    ``next`` (a local path to go to once logged in), ``error`` (None, or the message of a
    wrong key). ``POST /teacher`` (form fields ``key``, ``next``) sets the cookie and redirects;
    ``POST /teacher/logout`` clears it.
``GET /teacher/quizzes`` -> teacher_quizzes.html
    ``quizzes`` [{id, title, count, mode, time_limit_s, spec, created, shuffle, require_name, closed,
    learners, attempts, link, results_url, preview_url}], ``protocols``, ``types``, ``topics``,
    ``codes`` and ``codes_by_protocol`` ({protocol: [code]}), ``defaults``, ``api_url``,
    ``only_here`` (the links work on this computer only: the page says how to serve a class).
``GET /teacher/quizzes/<quiz_id>`` -> teacher_results.html
    ``quiz`` (as in the list), ``results`` (as the results API below), ``only_here``. 404 if unknown.
``GET /teacher/quizzes/<quiz_id>/preview`` -> teacher_preview.html
    ``quiz`` (as in the list), ``questions`` (:meth:`Quizzes.preview`: each with its choices, the right
    one marked, and the explanation). 404 if unknown.
Teacher pages without the teacher key redirect to ``/teacher?next=<the page>``.

Learner API (JSON; POSTs need a JSON body from this site)
---------------------------------------------------------
``POST /api/quizzes/attempts`` {mode: practice|test|review, quiz?, name? (a teacher's quiz: shown in
its results), protocols?, types?, topics?, codes?, count?, time_limit_s?} -> {ok, attempt: {id, url,
api_url, mode, total, deadline}}
``GET /api/quizzes/attempts/<id>`` -> {ok, attempt: {id, mode, quiz, total, answered, score
(practice/review, or a finished test), deadline, time_left, finished}, question (the current
question's public form, or null), position (0-based index of that question, or null)}
``POST /api/quizzes/attempts/<id>/answer`` {position, response} -> {ok, position, next, attempt,
and for practice/review: correct, right, right_text, explanation, replay_reply; for a test:
recorded: true}
``POST /api/quizzes/attempts/<id>/finish`` -> {ok, attempt, score, total, results: [{position, id,
type, kind, prompt, choices, replay, response, response_text, right, right_text, correct,
answered, explanation, replay_reply}]}
``GET /api/quizzes/me`` -> {ok, history: [... with url], mastery: {codes: [{protocol, code, seen,
correct, rate, box, level}], known, shaky, unknown, unseen}, due}

Teacher API (the ``mailsim_teacher`` cookie set by /teacher, or ``Authorization: Bearer <key>``)
-----------------------------------------------------------------------------------------------
``GET /api/teacher/quizzes`` -> {ok, quizzes}; ``POST /api/teacher/quizzes`` {title, protocols,
codes, types, topics, count, seed, time_limit_s, mode, shuffle, require_name} -> {ok, quiz: {...,
link, results_url, preview_url}}; the link is built from :func:`public_url`;
``GET /api/teacher/quizzes/<id>/results`` -> {ok, results: {quiz, learners, questions (each with
options: [{text, right, count}] or null), hardest}};
``POST /api/teacher/quizzes/<id>/close`` {closed} -> {ok, quiz}; ``DELETE /api/teacher/quizzes/<id>``
-> {ok, deleted};
``GET /teacher/quizzes/<id>/results.csv`` (learners) and ``.../questions.csv`` (questions), one table
each; ``GET /teacher/quizzes/<id>/export.gift?lang=en|ru``;
``GET /teacher/quizzes/<id>/export.xml?lang=en|ru`` (downloads).

Errors are ``{"ok": false, "error": {"code", "message"}}`` with the message in the page's
language (simulator/i18n/quizapi.*.json, ``quizapi.error.<code>``).
"""
from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote, urlparse

from flask import Blueprint, Response, abort, jsonify, make_response, redirect, render_template, request
from werkzeug.exceptions import NotFound

from simulator import i18n
from simulator.quiz.attempts import (
    DEFAULT_COUNT,
    MAX_COUNT,
    MAX_TIME_LIMIT,
    MIN_TIME_LIMIT,
    PROTOCOLS,
    REVIEW_COUNT,
    QuizError,
    Quizzes,
)
from simulator.web.common import (
    TEACHER_COOKIE,
    TEACHER_MAX_AGE,
    ApiError,
    current_language,
    current_learner,
    error_response,
    is_teacher,
    json_body,
    private,
    public_url,
    reachable_only_here,
    same_origin,
    sim_of,
    teacher_cookie_value,
    teacher_key_matches,
)

bp = Blueprint("quizzes", __name__)

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def quizzes() -> Quizzes:
    """The running MailSim's quizzes (tests may put in their own, with their own clock or bank)."""
    return sim_of().quizzes


# ------------------------------------------------------------------ errors
def _error(status: int, code: str, **params: Any):
    return error_response(status, code, area="quizapi", **params)


_private = private


@bp.errorhandler(QuizError)
def _quiz_error(exc: QuizError):
    if request.path.startswith("/api/"):
        return _error(exc.status, exc.code, **exc.params)
    if exc.status == 404:
        return NotFound().get_response()  # a page: the site's plain 404
    return _error(exc.status, exc.code, **exc.params)


def _ok(**data: Any):
    return _private(jsonify({"ok": True, **data}))


def _json_body() -> dict:
    """The request's JSON object: small, JSON, from this site (else a QuizError)."""
    try:
        return json_body(area="quizapi")
    except ApiError as exc:
        raise QuizError(exc.code, exc.status) from None


def _id_or_404(value: str) -> str:
    if not _ID.fullmatch(value or ""):
        raise QuizError("not_found", 404)
    return value


# ------------------------------------------------------------- vocabulary
def _vocabulary(lang: str) -> dict:
    from simulator.quiz import bank as quiz_bank
    types, topics = list(quiz_bank.TYPES), list(quiz_bank.TOPICS)
    return {
        "protocols": list(PROTOCOLS),
        "types": types,
        "topics": topics,
        "defaults": {"count": DEFAULT_COUNT, "max_count": MAX_COUNT, "time_limit_s": None,
                     "min_time_limit_s": MIN_TIME_LIMIT, "max_time_limit_s": MAX_TIME_LIMIT,
                     "review_count": REVIEW_COUNT},
    }


def _quiz_links(quiz: dict) -> dict:
    return {**quiz, "link": public_url() + f"/quizzes/q/{quiz['id']}",
            "results_url": f"/teacher/quizzes/{quiz['id']}", "preview_url": f"/teacher/quizzes/{quiz['id']}/preview"}


# ---------------------------------------------------------- learner pages
@bp.get("/quizzes")
def home():
    learner = current_learner(create=True)
    lang = current_language()
    return render_template("quizzes.html", due=quizzes().due_count(learner), **_vocabulary(lang),
                           api_url="/api/quizzes/attempts", me_url="/quizzes/me")


@bp.get("/quizzes/q/<quiz_id>")
def shared(quiz_id: str):
    learner = current_learner(create=True)
    quiz = quizzes().quiz(_id_or_404(quiz_id))
    quiz["spec"] = {k: v for k, v in quiz["spec"].items() if k != "seed"}  # the teacher's business
    name = sim_of().progress.name(learner) or ""  # the name saved on /lessons, to prefill
    return _private(make_response(render_template("quiz_shared.html", quiz=quiz, name=name,
                                                  api_url="/api/quizzes/attempts")))


@bp.get("/quizzes/attempt/<attempt_id>")
def take(attempt_id: str):
    learner = current_learner(create=True)
    try:
        state = quizzes().current(_id_or_404(attempt_id), learner, current_language())
    except QuizError as exc:
        if exc.status in (403, 404):
            abort(404)  # someone else's attempt is not there for this learner
        raise
    title = None
    if state["attempt"]["quiz"]:
        try:
            title = quizzes().quiz(state["attempt"]["quiz"])["title"]
        except QuizError:
            title = None
    return _private(make_response(render_template(
        "quiz_take.html", attempt_id=attempt_id, api_url=f"/api/quizzes/attempts/{attempt_id}", title=title)))


@bp.get("/quizzes/me")
def me():
    current_learner(create=True)
    return _private(make_response(render_template("quiz_me.html", api_url="/api/quizzes/me")))


# ------------------------------------------------------------ learner API
@bp.post("/api/quizzes/attempts")
def api_start():
    data = _json_body()
    learner = current_learner(create=True)
    quiz_id = data.get("quiz")
    if quiz_id is not None:
        if not isinstance(quiz_id, str) or not _ID.fullmatch(quiz_id):
            raise QuizError("unknown_quiz", 404)
        attempt = quizzes().start(learner, None, quiz_id=quiz_id, name=data.get("name"))
    else:
        mode = data.get("mode")
        spec = {k: data[k] for k in ("protocols", "types", "topics", "codes", "count", "time_limit_s") if k in data}
        attempt = quizzes().start(learner, mode, spec=spec)
    url = f"/quizzes/attempt/{attempt['id']}"
    return _ok(attempt={**attempt, "url": url, "api_url": f"/api/quizzes/attempts/{attempt['id']}"})


@bp.get("/api/quizzes/attempts/<attempt_id>")
def api_current(attempt_id: str):
    learner = current_learner(create=True)
    return _ok(**quizzes().current(_id_or_404(attempt_id), learner, current_language()))


@bp.post("/api/quizzes/attempts/<attempt_id>/answer")
def api_answer(attempt_id: str):
    data = _json_body()
    learner = current_learner(create=True)
    result = quizzes().answer(_id_or_404(attempt_id), learner, data.get("position"), data.get("response"),
                              current_language())
    return _ok(**result)


@bp.post("/api/quizzes/attempts/<attempt_id>/finish")
def api_finish(attempt_id: str):
    _json_body()
    learner = current_learner(create=True)
    return _ok(**quizzes().finish(_id_or_404(attempt_id), learner, current_language()))


@bp.get("/api/quizzes/me")
def api_me():
    learner = current_learner(create=True)
    history = [{**h, "url": f"/quizzes/attempt/{h['id']}"} for h in quizzes().history(learner)]
    return _ok(history=history, mastery=quizzes().mastery(learner), due=quizzes().due_count(learner))


# ------------------------------------------------------------ the teacher
def _safe_next(target: Optional[str]) -> str:
    target = target or "/teacher/quizzes"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 0x20 for c in target) or len(target) > 500:
        return "/teacher/quizzes"  # never an open redirect
    return target


def _teacher_page_or_login():
    """None when the teacher may see the page; else the answer to give (a redirect to the login, or a 401)."""
    if is_teacher():
        return None
    if request.headers.get("Authorization"):
        return _error(401, "unauthorized")
    path = request.full_path if request.query_string else request.path
    return redirect("/teacher?next=" + quote(path, safe="/"))


def _teacher_api():
    if not is_teacher():
        raise QuizError("unauthorized", 401)


@bp.get("/teacher")
def teacher_login():
    target = _safe_next(request.args.get("next"))
    if is_teacher():
        return redirect(target)
    return _private(make_response(render_template("teacher_login.html", next=target, error=None)))


@bp.post("/teacher")
def teacher_login_post():
    lang = current_language()
    target = _safe_next(request.form.get("next") or request.args.get("next"))
    key = sim_of().teacher_key
    supplied = request.form.get("key", "")[:200].strip()
    if not same_origin():
        return _error(403, "cross_site")
    if not key:
        error = i18n.t(lang, "quizapi.login.no_key")
    elif teacher_key_matches(supplied):
        resp = redirect(target, code=303)
        resp.set_cookie(TEACHER_COOKIE, teacher_cookie_value(key), max_age=TEACHER_MAX_AGE, httponly=True,
                        samesite="Strict", path="/", secure=request.is_secure)
        return resp
    else:
        error = i18n.t(lang, "quizapi.login.wrong_key")
    resp = make_response(render_template("teacher_login.html", next=target, error=error), 401)
    return _private(resp)


@bp.post("/teacher/logout")
def teacher_logout():
    resp = redirect("/teacher", code=303)
    resp.delete_cookie(TEACHER_COOKIE, path="/", samesite="Strict", httponly=True)
    return resp


@bp.get("/teacher/quizzes")
def teacher_quizzes():
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    lang = current_language()
    by_protocol = quizzes().codes_by_protocol()
    return _private(make_response(render_template(
        "teacher_quizzes.html", quizzes=[_quiz_links(q) for q in quizzes().quizzes()], **_vocabulary(lang),
        codes=by_protocol, codes_by_protocol=by_protocol, api_url="/api/teacher/quizzes",
        only_here=reachable_only_here())))


@bp.get("/teacher/quizzes/<quiz_id>")
def teacher_results(quiz_id: str):
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    results = quizzes().results(_id_or_404(quiz_id), current_language())
    return _private(make_response(render_template(
        "teacher_results.html", quiz=_quiz_links(results["quiz"]), results=results, only_here=reachable_only_here())))


@bp.get("/teacher/quizzes/<quiz_id>/preview")
def teacher_preview(quiz_id: str):
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    quiz_id = _id_or_404(quiz_id)
    lang = current_language()
    quiz = _quiz_links(quizzes().quiz(quiz_id))
    return _private(make_response(render_template(
        "teacher_preview.html", quiz=quiz, questions=quizzes().preview(quiz_id, lang))))


@bp.get("/api/teacher/quizzes")
def api_teacher_list():
    _teacher_api()
    return _ok(quizzes=[_quiz_links(q) for q in quizzes().quizzes()])


@bp.post("/api/teacher/quizzes")
def api_teacher_create():
    _teacher_api()
    data = _json_body()
    spec = {k: data[k] for k in ("protocols", "codes", "types", "topics", "count", "seed", "time_limit_s", "mode",
                                  "shuffle", "require_name") if k in data}
    quiz = quizzes().create_quiz(data.get("title"), spec)
    return _ok(quiz=_quiz_links(quiz))


@bp.post("/api/teacher/quizzes/<quiz_id>/close")
def api_teacher_close(quiz_id: str):
    _teacher_api()
    data = _json_body()
    quiz = quizzes().close_quiz(_id_or_404(quiz_id), data.get("closed", True))
    return _ok(quiz=_quiz_links(quiz))


@bp.delete("/api/teacher/quizzes/<quiz_id>")
def api_teacher_delete(quiz_id: str):
    _teacher_api()
    if not same_origin():
        raise QuizError("cross_site", 403)
    quizzes().delete_quiz(_id_or_404(quiz_id))
    return _ok(deleted=quiz_id)


@bp.get("/api/teacher/quizzes/<quiz_id>/results")
def api_teacher_results(quiz_id: str):
    _teacher_api()
    results = quizzes().results(_id_or_404(quiz_id), current_language())
    results["quiz"] = _quiz_links(results["quiz"])
    return _ok(results=results)


def _download(body: str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return _private(resp)


def _export_lang() -> str:
    value = request.args.get("lang")
    if value is None or value == "":
        return current_language()
    lang = i18n.normalise(value)
    if lang is None or value.strip().lower() not in i18n.LANGUAGES:
        raise QuizError("bad_lang")
    return lang


@bp.get("/teacher/quizzes/<quiz_id>/results.csv")
def teacher_csv(quiz_id: str):
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    quiz_id = _id_or_404(quiz_id)
    csv_text = quizzes().results_csv(quiz_id, _export_lang())
    return _download("\ufeff" + csv_text, "text/csv; charset=utf-8", f"mailsim-quiz-{quiz_id}-results.csv")


@bp.get("/teacher/quizzes/<quiz_id>/questions.csv")
def teacher_questions_csv(quiz_id: str):
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    quiz_id = _id_or_404(quiz_id)
    csv_text = quizzes().questions_csv(quiz_id, _export_lang())
    return _download("\ufeff" + csv_text, "text/csv; charset=utf-8", f"mailsim-quiz-{quiz_id}-questions.csv")


def _export(quiz_id: str, kind: str):
    refused = _teacher_page_or_login()
    if refused is not None:
        return refused
    quiz_id = _id_or_404(quiz_id)
    lang = _export_lang()
    questions = quizzes().quiz_questions(quiz_id)
    try:
        from simulator.quiz import export as quiz_export
    except ImportError:
        raise QuizError("export_unavailable", 503) from None
    if kind == "gift":
        return _download(quiz_export.to_gift(questions, lang), "text/plain; charset=utf-8",
                         f"mailsim-quiz-{quiz_id}-{lang}.gift.txt")
    return _download(quiz_export.to_moodle_xml(questions, lang), "application/xml; charset=utf-8",
                     f"mailsim-quiz-{quiz_id}-{lang}.xml")


@bp.get("/teacher/quizzes/<quiz_id>/export.gift")
def teacher_gift(quiz_id: str):
    return _export(quiz_id, "gift")


@bp.get("/teacher/quizzes/<quiz_id>/export.xml")
def teacher_xml(quiz_id: str):
    return _export(quiz_id, "xml")
