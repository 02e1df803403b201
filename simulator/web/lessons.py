"""The lessons: the course page, each lesson's steps, the glossary, and progress (docs/lessons.md).

Pages are rendered on the server from the lesson files (simulator/lessons.py);
the live widgets are the lab, journey and mail pages in embed mode, in
iframes. Progress belongs to the anonymous learner of the cookie and is kept
in the mail store's SQLite file (simulator/progress.py): a step is marked seen
and a task checked by JSON POSTs that answer only once the write is committed.

A task is checked against the learner's own lab sessions (events.py keeps
their recent transcripts; sessions played by a scenario or by "show me" do
not count) or, for ``source = "real"``, against the real ports' sessions whose
client used the learner's personal name.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Optional
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, url_for
from markupsafe import Markup

from simulator import i18n
from simulator.course import lessons as lesson_data
from simulator.course.check import evaluate, fill_name
from simulator.course.progress import Progress, personal_name
from simulator.lab.scenarios import load_presets, load_scenarios
from simulator.protocols.registry import spec
from simulator.web.common import ApiError, current_language, current_learner, error_response, json_body, sim_of

bp = Blueprint("lessons", __name__)

# ---------------------------------------------------------------- the course
def the_course() -> lesson_data.Course:
    """The lessons, as their files say now (reloaded when a teacher drops one in)."""
    return sim_of().course.current()


def progress() -> Progress:
    return sim_of().progress


def _lesson_or_404(slug: str) -> lesson_data.Lesson:
    lesson = the_course().get(slug, current_language())
    if lesson is None:
        abort(404)
    return lesson


# ------------------------------------------------------------------ summaries
def _next_step(lesson: lesson_data.Lesson, seen: set, done: set) -> lesson_data.LessonStep:
    """The first step not seen yet, or with a task not done; the first one if all are done."""
    for step in lesson.steps:
        if step.number not in seen or any(t.id not in done for t in step.tasks):
            return step
    return lesson.steps[0]


def _summary(lesson: lesson_data.Lesson, prog) -> dict:
    seen = {n for n in prog.seen if 1 <= n <= len(lesson.steps)}
    task_ids = [t.id for _, t in lesson.tasks()]
    done = [t for t in task_ids if t in prog.done]
    total = len(lesson.steps) + len(task_ids)
    percent = round(100 * (len(seen) + len(done)) / total) if total else 0
    nxt = _next_step(lesson, seen, set(done))
    return {
        "number": lesson.number, "slug": lesson.slug, "title": lesson.title, "summary": lesson.summary,
        "minutes": lesson.minutes, "steps": len(lesson.steps), "seen": len(seen), "tasks": len(task_ids),
        "done": len(done), "percent": percent, "started": bool(seen or prog.attempts),
        "complete": percent == 100,
        "next_url": url_for("lessons.step", slug=lesson.slug, n=nxt.number), "next_title": nxt.title,
    }


def _learner_info(learner: Optional[str]) -> dict:
    name = progress().name(learner) if learner else None
    return {"name": name, "personal_name": personal_name(learner) if learner else None}


# ---------------------------------------------------------------------- pages
@bp.get("/lessons")
def course():
    learner = current_learner(create=True)
    lang = current_language()
    all_progress = progress().course(learner)
    summaries = [_summary(lesson, all_progress.get(lesson.slug, _empty()))
                 for lesson in the_course().ordered(lang)]
    return render_template("lessons.html", course=summaries, learner=_learner_info(learner),
                           glossary_url=url_for("lessons.glossary"), name_url=url_for("lessons.api_name"))


def _empty():
    from simulator.course.progress import LessonProgress
    return LessonProgress()


@bp.get("/lessons/glossary")
def glossary():
    lang = current_language()
    terms = sorted(the_course().glossary, key=lambda term: (term.ru if lang == "ru" else term.en).lower())
    return render_template("glossary.html", terms=[{
        "id": term.id, "en": term.en, "ru": term.ru, "lecture": term.lecture,
        "definition": term.definition[lang], "note": term.note[lang] if term.note else None, "rfc": term.rfc,
    } for term in terms])


@bp.get("/lessons/<slug>")
def lesson_start(slug: str):
    lesson = _lesson_or_404(slug)
    learner = current_learner(create=True)
    prog = progress().lesson(learner, lesson.slug)
    return redirect(url_for("lessons.step", slug=slug, n=_next_step(lesson, prog.seen, prog.done).number))


@bp.get("/lessons/<slug>/<int:n>")
def step(slug: str, n: int):
    lang = current_language()
    lesson = _lesson_or_404(slug)
    if not 1 <= n <= len(lesson.steps):
        abort(404)
    learner = current_learner(create=True)
    prog = progress().lesson(learner, lesson.slug)
    name = personal_name(learner)
    current = lesson.steps[n - 1]
    ordered = the_course().ordered(lang)
    position = next(i for i, x in enumerate(ordered) if x.slug == lesson.slug)
    following = ordered[position + 1] if position + 1 < len(ordered) else None
    summary = _summary(lesson, prog)
    context_lesson = {
        "number": lesson.number, "slug": lesson.slug, "title": lesson.title, "summary": lesson.summary,
        "minutes": lesson.minutes, "percent": summary["percent"],
        "steps": [{"n": s.number, "title": s.title, "url": url_for("lessons.step", slug=slug, n=s.number),
                   "seen": s.number in prog.seen, "tasks": len(s.tasks),
                   "done": sum(t.id in prog.done for t in s.tasks)} for s in lesson.steps],
    }
    context_step = {
        "n": n, "title": current.title,
        "prev_url": url_for("lessons.step", slug=slug, n=n - 1) if n > 1 else None,
        "next_url": url_for("lessons.step", slug=slug, n=n + 1) if n < len(lesson.steps) else None,
        "next_lesson": {"url": url_for("lessons.lesson_start", slug=following.slug), "title": following.title}
        if following else None,
        "blocks": [_block(b, lesson, lang, name, prog) for b in current.blocks],
    }
    return render_template("lesson.html", lesson=context_lesson, step=context_step,
                           learner=_learner_info(learner))


# --------------------------------------------------------------------- blocks
def _fill(text: str, name: str) -> str:
    return fill_name(text, name)


def _setup_url(protocol: str, setup: Optional[dict], **query: str) -> str:
    url = url_for("pages.lab") + "?" + urlencode({"protocol": protocol, "embed": "1", **query})
    if setup:
        raw = json.dumps({"v": 1, "protocol": protocol, **setup}, separators=(",", ":")).encode("utf-8")
        url += "#setup=" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return url


def _preset_plan(name: Optional[str]) -> Optional[dict]:
    return load_presets()[name].plan.to_json() if name else None


def _block(block: Any, lesson: lesson_data.Lesson, lang: str, name: str, prog) -> dict:
    if isinstance(block, tuple):
        return {"type": "html", "html": Markup(lesson_data.render_markdown(_fill(block[1], name)))}
    if isinstance(block, lesson_data.Widget):
        return _widget(block, lang, name)
    return _task(block, lesson, lang, name, prog)


def _widget(w: lesson_data.Widget, lang: str, name: str) -> dict:
    f = w.fields
    out: dict[str, Any] = {"type": "widget", "kind": w.kind, "src": None,
                           "caption_html": Markup(lesson_data.render_inline(_fill(w.caption, name)))
                           if w.caption else None}
    protocol = f.get("protocol", "smtp")
    if w.kind == "scenario":
        found = load_scenarios()[f["scenario"]]
        out["src"] = _setup_url(found.protocol, {"faults": None, "scenario": found.name})
        out["title"] = i18n.t(lang, "course.widget.scenario_title", title=found.title[lang])
    elif w.kind in ("console", "faults"):
        plan = _preset_plan(f.get("preset"))
        extra = {"focus": "faults"} if w.kind == "faults" else {}
        out["src"] = _setup_url(protocol, {"faults": plan, "scenario": None} if plan else None, **extra)
        out["title"] = i18n.t(lang, f"course.widget.{w.kind}_title", protocol=protocol.upper())
    elif w.kind == "journey":
        query = {"embed": "1", **({"preset": f["preset"]} if f.get("preset") else {}),
                 **({"at": f["at"]} if f.get("at") else {})}  # the part the page opens at (pages/journey.js)
        out["src"] = "/journey?" + urlencode(query)
        out["title"] = i18n.t(lang, "course.widget.journey_title")
    elif w.kind == "mail":
        query = {"embed": "1", "user": f["user"], "folder": f.get("folder", "INBOX")}
        if f.get("uid"):
            query["uid"] = str(f["uid"])
            if f.get("tab") and f["tab"] != "message":
                query["tab"] = {"structure": "mime"}.get(f["tab"], f["tab"])  # the viewer's name for the tab
        out["src"] = "/mail?" + urlencode(query)
        out["title"] = i18n.t(lang, "course.widget.mail_title", user=f["user"], folder=query["folder"])
    elif w.kind == "codes":
        out["rows"] = code_rows(protocol, lang, f.get("codes"))
        out["title"] = i18n.t(lang, "course.widget.codes_title", protocol=protocol.upper())
    elif w.kind == "live":
        sim = sim_of(current_app)
        out["live"] = {"protocol": protocol, "host": sim.host, "port": sim.ports.get(protocol),
                       "personal_name": name, "live_url": url_for("pages.live")}
        out["title"] = i18n.t(lang, "course.widget.live_title", protocol=protocol.upper())
    return out


_CLASS_NAMES: dict[Optional[int], str] = {2: "positive", 3: "intermediate", 4: "transient", 5: "permanent"}


def code_rows(protocol: str, lang: str, only: Optional[list] = None) -> list[dict]:
    """A protocol's replies from its catalogue: code, meaning, what the client should do, class."""
    module = spec(protocol).replies
    rows = []
    for code, info in module.CODES.items():
        if only and code not in only:
            continue
        cls = getattr(info, "reply_class", None) or (code // 100 if isinstance(code, int) else None)
        advice = module.ADVICE.get(info.advice, {}) if isinstance(module.ADVICE, dict) else {}
        rows.append({"code": code, "meaning": info.meaning[lang],
                     "advice": advice.get(lang, "") if isinstance(advice, dict) else str(advice),
                     "cls": _CLASS_NAMES.get(cls, "other")})
    if only:
        rows.sort(key=lambda row: only.index(row["code"]))
    return rows


def _task(task: lesson_data.Task, lesson: lesson_data.Lesson, lang: str, name: str, prog) -> dict:
    protocol = task.protocol
    lab_src = solution_src = None
    solution_lines: list[str] = []
    if protocol and task.source == "lab":
        plan = _preset_plan(task.preset)
        extra = {"focus": "faults"} if task.lab == "faults" else {}
        lab_src = _setup_url(protocol, {"faults": plan, "scenario": None} if plan else None, **extra)
        if task.solution is not None:
            solution_src = _setup_url(protocol, {"faults": None, "scenario": None,
                                                 "solution": f"{lesson.slug}/{task.id}"})
    elif protocol and task.solution is not None:
        from simulator.course.check import solution_script
        solution_lines = [str(v) for kind, v in solution_script(task, name) if kind == "line"]
    question = None
    if task.question is not None:
        question = {"prompt_html": Markup(lesson_data.render_inline(_fill(task.question.prompt, name))),
                    "choices": [_fill(c, name) for c in task.question.choices]}
    return {
        "type": "task", "id": task.id, "protocol": protocol, "source": task.source,
        "goal_html": Markup(lesson_data.render_inline(_fill(task.goal, name))),
        "hints_html": [Markup(lesson_data.render_inline(_fill(h, name))) for h in task.hints],
        "question": question,
        "status": {"done": task.id in prog.done, "attempts": prog.attempts.get(task.id, 0)},
        "lab_src": lab_src, "solution_src": solution_src, "solution_lines": solution_lines,
        "check_url": url_for("lessons.api_check", slug=lesson.slug, task_id=task.id),
        "reveal_url": url_for("lessons.api_reveal", slug=lesson.slug, task_id=task.id) if task.question else None,
    }


# ------------------------------------------------------------------------ API
def _json_body() -> dict:
    return json_body(area="course")


def _error(status: int, code: str, **params: Any):
    return error_response(status, code, area="course", **params)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, area=exc.area, **exc.params)


def _lesson_state(lesson: lesson_data.Lesson, learner: str) -> dict:
    s = _summary(lesson, progress().lesson(learner, lesson.slug))
    return {"percent": s["percent"], "seen": s["seen"], "done": s["done"], "steps": s["steps"], "tasks": s["tasks"]}


@bp.post("/api/lessons/<slug>/steps/<int:n>/seen")
def api_seen(slug: str, n: int):
    _json_body()
    lesson = the_course().get(slug, current_language())
    if lesson is None or not 1 <= n <= len(lesson.steps):
        return _error(404, "unknown_step")
    learner = current_learner(create=True)
    progress().see_step(learner, lesson.slug, n)  # committed before we answer
    return jsonify({"ok": True, "lesson": _lesson_state(lesson, learner)})


@bp.post("/api/lessons/<slug>/tasks/<task_id>/check")
def api_check(slug: str, task_id: str):
    data = _json_body()
    lang = current_language()
    lesson = the_course().get(slug, lang)
    task = lesson.task(task_id) if lesson else None
    if lesson is None or task is None:
        return _error(404, "unknown_task")
    answer = data.get("answer")
    if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int)):
        return _error(400, "bad_answer")
    if task.question is not None and answer is None:
        return _error(400, "no_answer")
    learner = current_learner(create=True)
    name = personal_name(learner)
    transcripts = _transcripts(task, learner, name)
    result = evaluate(task, transcripts, name, answer=answer)
    feedback = list(result.feedback)
    if result.reason == "no_session":
        key = "course.check.no_real_session" if task.source == "real" else "course.check.no_session"
        feedback.insert(0, i18n.t(lang, key, protocol=(task.protocol or "smtp").upper(), name=name))
    revealed = False
    if result.done and task.question is not None:
        prog = progress().lesson(learner, lesson.slug)
        # "Show me" gave the answer away: right, but it does not count (as a solution "show me" played).
        revealed = task.id in prog.revealed and task.id not in prog.done
        if revealed:
            result.done = False
            feedback.append(i18n.t(lang, "course.check.revealed"))
    attempts = progress().record_attempt(learner, lesson.slug, task.id, result.done)  # committed first
    explain = None
    if task.question is not None and answer == task.question.answer:
        explain = fill_name(task.question.explain, name)
    praise = fill_name(task.done, name) if result.done and task.done else None
    # The heading over the feedback: what is missing (lab checks) or why the choice is not right (a question).
    heading = "answer" if result.reason == "answer" else "revealed" if revealed else "missing"
    return jsonify({
        "ok": True, "done": result.done, "feedback": feedback, "explain": explain, "praise": praise,
        # The same texts as inline HTML, rendered like hints (Markdown, raw HTML shown as text).
        "feedback_html": [lesson_data.render_inline(text) for text in feedback],
        "explain_html": lesson_data.render_inline(explain) if explain else None,
        "praise_html": lesson_data.render_inline(praise) if praise else None,
        "heading": heading, "revealed": revealed,
        "attempts": attempts, "lesson": _lesson_state(lesson, learner),
    })


@bp.post("/api/lessons/<slug>/tasks/<task_id>/reveal")
def api_reveal(slug: str, task_id: str):
    """"Show me" for a task's question: the right choice and why, asked for by the learner.

    Lessons are for learning, so the answer is theirs on request; it is never
    in the page. Like a solution "show me" plays, it does not count: the
    reveal is saved, and a right answer checked after it is confirmed but
    does not mark the task done (one done before stays done)."""
    _json_body()
    lang = current_language()
    lesson = the_course().get(slug, lang)
    task = lesson.task(task_id) if lesson else None
    if lesson is None or task is None or task.question is None:
        return _error(404, "unknown_task")
    learner = current_learner(create=True)
    name = personal_name(learner)
    question = task.question
    progress().reveal(learner, lesson.slug, task.id)  # committed first: a right answer after this does not count
    explain = fill_name(question.explain, name)
    return jsonify({"ok": True, "answer": question.answer,
                    "choice": fill_name(question.choices[question.answer - 1], name),
                    "explain": explain, "explain_html": lesson_data.render_inline(explain)})


def _transcripts(task: lesson_data.Task, learner: str, name: str) -> list:
    if not task.protocol:
        return []
    if task.source == "real":
        sim = sim_of(current_app)
        return [t for t in sim.live_transcripts(task.protocol) if _names(t, name)]
    return sim_of().labs.transcripts(learner, task.protocol)


def _names(transcript: list, name: str) -> bool:
    """Did the client of this real-port session use the learner's personal name?"""
    needle = name.lower()
    return any(ex.get("from") == "client" and ex.get("kind") == "command" and needle in (ex.get("text") or "").lower()
               for ex in transcript)


@bp.post("/api/learner/name")
def api_name():
    data = _json_body()
    name = data.get("name")
    if not isinstance(name, str):
        return _error(400, "bad_name")
    try:
        saved = progress().set_name(current_learner(create=True), name)
    except ValueError:
        return _error(400, "bad_name")
    return jsonify({"ok": True, "name": saved})

