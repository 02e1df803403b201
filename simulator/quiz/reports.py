"""A teacher's view of a quiz: the results summarized from its attempts and answers, and the CSV files.

Pure: :class:`simulator.quiz.attempts.Quizzes` reads the rows from its tables and
hands them here; nothing in this module touches the store. Everything is per
question id, not per position: in a shuffled quiz each attempt has its own
order of the same questions. An ordering question counts towards no code
(failing to order MAIL, RCPT, DATA says nothing about knowing 250 or 354).

May import ``simulator.course`` (a learner's personal name), ``simulator.quiz.model``
and ``simulator.i18n``.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any, Optional

from simulator import i18n
from simulator.course.progress import personal_name
from simulator.quiz.model import ChoiceKeys, code_sort_key, text_in

__all__ = ["summarize", "learners_csv", "questions_csv"]


def summarize(info: dict, question_ids: list, bank: dict, attempts: list, answers: list, secret: ChoiceKeys,
              now: float, lang: str, *, grace: float) -> dict:
    """Each learner's scores, each question's success rate and the count of each of its choices, the
    hardest codes. ``attempts`` are rows (id, learner, name, started, deadline, finished, seed),
    ``answers`` rows (attempt, question id, correct, response); ``secret`` the quiz store's keys
    (which choice a stored response picked); an attempt whose deadline passed
    more than ``grace`` seconds ago counts as done."""
    seeds = {a[0]: a[6] for a in attempts}
    by_attempt: dict = {}
    chosen: dict = {}  # question id -> canonical choice index -> how many chose it
    for aid, question_id, correct, response in answers:
        by_attempt.setdefault(aid, {})[question_id] = bool(correct)
        q = bank.get(question_id)
        if q is None or q.kind != "single" or aid not in seeds:
            continue
        keys = secret.keys(q.id, seeds[aid], len(q.choices))
        picked = json.loads(response)
        if picked in keys:
            counts = chosen.setdefault(question_id, {})
            counts[keys.index(picked)] = counts.get(keys.index(picked), 0) + 1
    learners: dict = {}
    for aid, learner, name, started, deadline, finished, _seed in attempts:
        done = finished is not None or (deadline is not None and now > deadline + grace)
        marks = by_attempt.get(aid, {})
        score = sum(marks.get(q, False) for q in question_ids)
        entry = learners.get(learner)
        if entry is None:
            entry = learners[learner] = {
                "name": "", "named": False, "number": len(learners) + 1,
                "personal_name": personal_name(learner), "attempts": 0, "best": None,
                "last": None, "last_finished": False, "last_started": None, "last_answers": {}}
        if name:  # the latest name given wins
            entry.update(name=name, named=True)
        entry["attempts"] += 1
        if done:
            entry["best"] = score if entry["best"] is None else max(entry["best"], score)
        entry.update(last=score, last_finished=done, last_started=started,
                     last_finished_at=finished if finished is not None else (deadline if done else None),
                     last_answers=marks)
    people = []
    for entry in learners.values():
        marks = entry.pop("last_answers")
        number = entry.pop("number")
        if not entry["named"]:
            entry["name"] = i18n.t(lang, "quizapi.learner_n", n=number)
        entry["answers"] = [marks.get(q) for q in question_ids]  # True / False / None (not answered)
        entry["total"] = len(question_ids)
        people.append(entry)
    questions = []
    code_stats: dict = {}
    for number, question_id in enumerate(question_ids, 1):
        q = bank[question_id]
        marks = [m[question_id] for m in by_attempt.values() if question_id in m]
        right = sum(marks)
        options = None
        if q.kind == "single":
            counts = chosen.get(question_id, {})
            options = [{"text": text_in(choice, lang), "right": i == q.answer, "count": counts.get(i, 0)}
                       for i, choice in enumerate(q.choices)]
        questions.append({"number": number, "position": number - 1, "id": q.id, "type": q.type,
                          "kind": q.kind, "protocol": q.protocol, "prompt": text_in(q.prompt, lang),
                          "codes": list(q.codes), "answered": len(marks), "correct": right,
                          "rate": round(right / len(marks), 3) if marks else None, "options": options})
        if q.kind == "order":
            continue
        for code in q.codes:
            stat = code_stats.setdefault((q.protocol, code), {"protocol": q.protocol, "code": code,
                                                              "answered": 0, "correct": 0})
            stat["answered"] += len(marks)
            stat["correct"] += right
    hardest = [dict(s, rate=round(s["correct"] / s["answered"], 3)) for s in code_stats.values() if s["answered"]]
    hardest.sort(key=lambda s: (s["rate"], -s["answered"], code_sort_key((s["protocol"], s["code"]))))
    return {"quiz": info, "learners": people, "questions": questions, "hardest": hardest[:10]}


def learners_csv(data: dict) -> str:
    """The learners as CSV, one table with a header row: one row per learner, the last attempt's
    answer to each question (1, 0 or empty; q1, q2... in the quiz's order, as in questions_csv).
    ``data`` is what :func:`summarize` gives."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["learner", "personal_name", "attempts", "best_score", "last_score", "total",
                     "last_started_utc", "last_finished_utc"]
                    + [f"q{q['number']}" for q in data["questions"]])
    for person in data["learners"]:
        writer.writerow([_csv_cell(person["name"]), person["personal_name"], person["attempts"],
                         "" if person["best"] is None else person["best"], person["last"], person["total"],
                         _iso(person["last_started"]), _iso(person.get("last_finished_at"))]
                        + ["" if a is None else int(a) for a in person["answers"]])
    return buf.getvalue()

def questions_csv(data: dict) -> str:
    """The questions as CSV, one table with a header row: one row per question (q1, q2... as in
    learners_csv) with its success rate and how many chose each choice ("text: n; ...", the right
    one marked with a leading "*")."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["question", "id", "type", "codes", "prompt", "answered", "correct", "success_rate",
                     "choices"])
    for q in data["questions"]:
        choices = "; ".join(f"{'*' if o['right'] else ''}{o['text']}: {o['count']}" for o in q["options"] or [])
        writer.writerow([f"q{q['number']}", q["id"], q["type"], " ".join(str(c) for c in q["codes"]),
                         _csv_cell(q["prompt"]), q["answered"], q["correct"],
                         "" if q["rate"] is None else q["rate"], _csv_cell(choices)])
    return buf.getvalue()


def _iso(when: Optional[float]) -> str:
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if when else ""


def _csv_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
