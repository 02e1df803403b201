"""Quiz storage and flow (simulator/quizzes.py) on an in-memory MailStore, with a clock the tests move.

The questions are a small bank of real :class:`quiz_bank.Question` objects
made here (so these tests do not depend on the generated bank's wording);
one test at the end runs against the real bank when it is there.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from quizkit import ALICE, BOB, Clock, FakeBank, attempt_seed, make_questions, right_response, wrong_response  # noqa: F401

from simulator.quiz import bank as quiz_bank
from simulator.quiz.attempts import DAY, GRACE, INTERVALS, QuizError, Quizzes
from simulator.store.db import MailStore


@pytest.fixture
def store():
    s = MailStore(seed_file=None)
    yield s
    s.close()


@pytest.fixture
def quizzes(store, clock, bank):
    return Quizzes(store, clock=clock, bank=bank)


# ------------------------------------------------------------------ helpers
def answer_current(quizzes, bank, attempt_id, learner=ALICE, right=True, lang="en"):
    state = quizzes.current(attempt_id, learner, lang)
    q = bank.questions[state["question"]["id"]]
    seed = attempt_seed(quizzes, attempt_id)
    response = right_response(q, seed, quizzes.keys) if right else wrong_response(q, seed, quizzes.keys)
    return quizzes.answer(attempt_id, learner, state["position"], response, lang), q


# -------------------------------------------------------------------- modes
def test_a_practice_attempt_grades_each_answer_at_once_with_the_explanation(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"protocols": ["smtp"], "types": ["code_meaning"], "count": 3})
    assert attempt["mode"] == "practice" and attempt["total"] == 3
    first, q1 = answer_current(quizzes, bank, attempt["id"], right=True)
    assert first["correct"] is True and first["next"] is True
    assert first["explanation"] == f"SECRET-EXPLANATION {q1.id}"
    assert first["right"] == right_response(q1, attempt_seed(quizzes, attempt["id"]), quizzes.keys)
    assert first["attempt"]["score"] == 1 and first["attempt"]["answered"] == 1
    second, q2 = answer_current(quizzes, bank, attempt["id"], right=False)
    assert second["correct"] is False and second["right_text"]
    third, _ = answer_current(quizzes, bank, attempt["id"], right=True)
    assert third["next"] is False and third["attempt"]["finished"] is True
    done = quizzes.finish(attempt["id"], ALICE, "en")
    assert (done["score"], done["total"]) == (2, 3)
    assert [r["correct"] for r in done["results"]] == [True, False, True]


def test_practice_keeps_to_the_chosen_protocols_and_types(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"protocols": ["pop3"], "count": 10})
    seen = set()
    for _ in range(attempt["total"]):
        result, q = answer_current(quizzes, bank, attempt["id"])
        seen.add(q.protocol)
    assert seen == {"pop3"} and attempt["total"] == 2
    only = quizzes.start(ALICE, "practice", spec={"types": ["retry"]})
    assert only["total"] == 1


def test_a_test_attempt_reveals_nothing_until_it_is_finished(quizzes, bank):
    attempt = quizzes.start(ALICE, "test", spec={"protocols": ["smtp"], "count": 4})
    for i in range(4):
        result, q = answer_current(quizzes, bank, attempt["id"], right=i % 2 == 0)
        assert result["recorded"] is True
        for leak in ("correct", "right", "right_text", "explanation"):
            assert leak not in result
        assert result["attempt"]["score"] is None or result["attempt"]["finished"]
        assert "SECRET-EXPLANATION" not in json.dumps(result)
    state = quizzes.current(attempt["id"], ALICE, "en")
    assert state["question"] is None and state["attempt"]["finished"] is True
    done = quizzes.finish(attempt["id"], ALICE, "en")
    assert (done["score"], done["total"]) == (2, 4)
    assert all(r["explanation"].startswith("SECRET-EXPLANATION") for r in done["results"])
    assert all(r["right_text"] for r in done["results"])


def test_a_test_score_is_hidden_while_the_test_runs(quizzes, bank):
    attempt = quizzes.start(ALICE, "test", spec={"count": 3})
    answer_current(quizzes, bank, attempt["id"], right=True)
    state = quizzes.current(attempt["id"], ALICE, "en")
    assert state["attempt"]["score"] is None and state["attempt"]["answered"] == 1
    assert quizzes.history(ALICE)[0]["score"] is None


def test_finishing_early_counts_the_unanswered_as_wrong_and_closes_the_attempt(quizzes, bank):
    attempt = quizzes.start(ALICE, "test", spec={"count": 3})
    answer_current(quizzes, bank, attempt["id"], right=True)
    done = quizzes.finish(attempt["id"], ALICE, "en")
    assert (done["score"], done["total"]) == (1, 3)
    assert [r["answered"] for r in done["results"]] == [True, False, False]
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, 1, "whatever", "en")
    assert (err.value.code, err.value.status) == ("finished", 409)
    assert quizzes.finish(attempt["id"], ALICE, "en")["score"] == 1  # again: the same result


def test_an_order_question_is_graded_by_the_whole_order(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["order"]})
    state = quizzes.current(attempt["id"], ALICE, "en")
    assert state["question"]["kind"] == "order"
    seed = attempt_seed(quizzes, attempt["id"])
    q = bank.questions["order:smtp:transaction"]
    result = quizzes.answer(attempt["id"], ALICE, 0, right_response(q, seed, quizzes.keys), "en")
    assert result["correct"] is True and result["right_text"] == ["MAIL FROM", "RCPT TO", "DATA", "QUIT"]


def test_russian_attempts_show_russian_texts(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"protocols": ["imap"]})
    state = quizzes.current(attempt["id"], ALICE, "ru")
    assert state["question"]["prompt"].startswith("Что значит")
    result, _ = answer_current(quizzes, bank, attempt["id"], right=True, lang="ru")
    assert result["explanation"].startswith("ОБЪЯСНЕНИЕ") and result["right_text"].startswith("верно")


# ------------------------------------------------------------ the leak rule
def _grade_every_choice(quizzes, bank, mode):
    """For each question: what the learner saw before answering holds no answer, whichever choice they pick."""
    for choice_index in range(3):
        attempt = quizzes.start(ALICE, mode, spec={"protocols": ["smtp"], "count": 5})
        seen_ids = []
        while True:
            state = quizzes.current(attempt["id"], ALICE, "en")
            if state["question"] is None:
                break
            q = bank.questions[state["question"]["id"]]
            seed = attempt_seed(quizzes, attempt["id"])
            before = json.dumps(state)
            right = right_response(q, seed, quizzes.keys)
            assert "SECRET-EXPLANATION" not in before
            assert "answer" not in state["question"] and "explanation" not in state["question"]
            # the right key is a choice key, shown once as a choice and nowhere else
            for key in (right if isinstance(right, list) else [right]):
                assert before.count(key) == 1
            # later questions are not in it
            ids = json.loads(quizzes.store.read(lambda db, aid=attempt["id"]: db.execute(
                "SELECT question_ids FROM quiz_attempts WHERE id = ?", (aid,)).fetchone()[0]))
            for later in ids[state["position"] + 1:]:
                assert json.dumps(later) not in before
            # the choices' order does not give the right one away: with keys sorted, its place varies
            keys = [c["key"] for c in state["question"]["choices"]]
            pick = keys[choice_index % len(keys)] if q.kind == "single" else keys[choice_index:] + keys[:choice_index]
            result = quizzes.answer(attempt["id"], ALICE, state["position"], pick, "en")
            if mode == "test":
                assert "right" not in result and "SECRET" not in json.dumps(result)
            else:
                assert result["correct"] == (pick == right)
            seen_ids.append(q.id)
        assert len(seen_ids) == 5


def test_before_the_answer_nothing_reveals_it_in_practice(quizzes, bank):
    _grade_every_choice(quizzes, bank, "practice")


def test_before_the_answer_nothing_reveals_it_in_test_mode(quizzes, bank):
    _grade_every_choice(quizzes, bank, "test")


def test_the_right_choice_is_not_always_in_the_same_place(quizzes, bank):
    places = set()
    for _ in range(12):
        attempt = quizzes.start(ALICE, "practice", spec={"types": ["code_meaning"], "protocols": ["smtp"], "count": 1})
        state = quizzes.current(attempt["id"], ALICE, "en")
        q = bank.questions[state["question"]["id"]]
        keys = [c["key"] for c in state["question"]["choices"]]
        places.add(keys.index(right_response(q, attempt_seed(quizzes, attempt["id"]), quizzes.keys)))
    assert len(places) > 1


def test_a_predict_question_shows_the_session_only_up_to_the_command(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["predict"]})
    state = quizzes.current(attempt["id"], ALICE, "en")
    replay = state["question"]["replay"]
    assert replay[-1]["from"] == "client" and "452" not in json.dumps(replay)


# ------------------------------------------------------ an answer is final
def test_an_answer_cannot_be_changed_once_graded(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"count": 3})
    first, q = answer_current(quizzes, bank, attempt["id"], right=False)
    seed = attempt_seed(quizzes, attempt["id"])
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, 0, right_response(q, seed, quizzes.keys), "en")
    assert (err.value.code, err.value.status) == ("already_answered", 409)
    assert quizzes.finish(attempt["id"], ALICE, "en")["results"][0]["correct"] is False


def test_only_the_current_question_can_be_answered(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"count": 3})
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, 2, "x", "en")
    assert (err.value.code, err.value.status) == ("not_current", 409)
    for position in (-1, 3, 99, "0", None, True, 1.0):
        with pytest.raises(QuizError) as err:
            quizzes.answer(attempt["id"], ALICE, position, "x", "en")
        assert err.value.code == "bad_position"


@pytest.mark.parametrize("response", [None, "", "nope", 3, True, {"key": "x"}, [], ["a"] * 500, "k" * 10_000,
                                      [1, 2], [["nested"]]])
def test_malformed_responses_are_refused_and_nothing_is_stored(quizzes, response):
    attempt = quizzes.start(ALICE, "practice", spec={"count": 2})
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, 0, response, "en")
    assert (err.value.code, err.value.status) == ("bad_response", 400)
    assert quizzes.current(attempt["id"], ALICE, "en")["attempt"]["answered"] == 0


def test_an_order_response_must_name_every_item_once(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["order"]})
    keys = [c["key"] for c in quizzes.current(attempt["id"], ALICE, "en")["question"]["choices"]]
    for bad in (keys[:3], keys + keys[:1], [keys[0]] * 4, keys[:3] + ["other"], keys[0]):
        with pytest.raises(QuizError) as err:
            quizzes.answer(attempt["id"], ALICE, 0, bad, "en")
        assert err.value.code == "bad_response"


def test_other_learners_attempts_and_unknown_ids_are_refused(quizzes):
    attempt = quizzes.start(ALICE, "practice")
    for call in (lambda: quizzes.current(attempt["id"], BOB, "en"),
                 lambda: quizzes.answer(attempt["id"], BOB, 0, "x", "en"),
                 lambda: quizzes.finish(attempt["id"], BOB, "en")):
        with pytest.raises(QuizError) as err:
            call()
        assert (err.value.code, err.value.status) == ("not_yours", 403)
    for bad in ("nope", "", None, 5, "x" * 1000):
        with pytest.raises(QuizError) as err:
            quizzes.current(bad, ALICE, "en")
        assert (err.value.code, err.value.status) == ("unknown_attempt", 404)


# ------------------------------------------------------------- time limits
def test_the_server_enforces_a_tests_time_limit(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "test", spec={"count": 3, "time_limit_s": 60})
    assert attempt["deadline"] == clock.now + 60
    clock.now += 30
    answer_current(quizzes, bank, attempt["id"])
    assert quizzes.current(attempt["id"], ALICE, "en")["attempt"]["time_left"] == 30
    clock.now += 30 + GRACE + 1
    state = quizzes.current(attempt["id"], ALICE, "en")
    position = 1
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, position, "x", "en")
    assert (err.value.code, err.value.status) in {("time_up", 409), ("finished", 409)}
    assert state["attempt"]["finished"] is True and state["question"] is None
    done = quizzes.finish(attempt["id"], ALICE, "en")
    assert (done["score"], done["total"]) == (1, 3)
    assert quizzes.history(ALICE)[0]["finished"] == attempt["deadline"]


def test_an_answer_after_the_deadline_finishes_the_attempt(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "test", spec={"count": 2, "time_limit_s": 30})
    state = quizzes.current(attempt["id"], ALICE, "en")
    q = bank.questions[state["question"]["id"]]
    clock.now += 31 + GRACE
    with pytest.raises(QuizError) as err:
        quizzes.answer(attempt["id"], ALICE, 0, right_response(q, attempt_seed(quizzes, attempt["id"]), quizzes.keys), "en")
    assert err.value.code == "time_up"
    assert quizzes.finish(attempt["id"], ALICE, "en")["score"] == 0


def test_an_answer_just_in_time_counts(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "test", spec={"count": 2, "time_limit_s": 30})
    clock.now += 30
    result, _ = answer_current(quizzes, bank, attempt["id"])
    assert result["recorded"] is True


@pytest.mark.parametrize("spec", [{"time_limit_s": 5}, {"time_limit_s": 100_000}, {"time_limit_s": "60"},
                                  {"mode": "practice", "time_limit_s": 60}])
def test_a_time_limit_must_be_sensible_and_only_for_tests(quizzes, spec):
    mode = spec.pop("mode", "test")
    with pytest.raises(QuizError) as err:
        quizzes.start(ALICE, mode, spec=spec)
    assert err.value.code == "bad_time_limit"


# ---------------------------------------------------------- spaced review
def boxes(quizzes, learner=ALICE):
    return dict(quizzes.store.read(lambda db: db.execute(
        "SELECT question_id, box FROM quiz_boxes WHERE learner = ?", (learner,)).fetchall()))


def test_leitner_boxes_move_up_when_right_and_back_to_one_when_wrong(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["retry"]})
    _, q = answer_current(quizzes, bank, attempt["id"], right=True)
    assert boxes(quizzes)[q.id] == 2
    due = quizzes.store.read(lambda db: db.execute("SELECT due FROM quiz_boxes").fetchone()[0])
    assert due == clock.now + INTERVALS[2] == clock.now + DAY
    for expected in (3, 4, 5, 5):
        attempt = quizzes.start(ALICE, "practice", spec={"types": ["retry"]})
        answer_current(quizzes, bank, attempt["id"], right=True)
        assert boxes(quizzes)[q.id] == expected
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["retry"]})
    answer_current(quizzes, bank, attempt["id"], right=False)
    assert boxes(quizzes)[q.id] == 1


def test_review_brings_back_the_wrong_ones_first_and_the_right_ones_when_due(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "practice", spec={"protocols": ["smtp"], "types": ["code_meaning"], "count": 4})
    wrong, right = set(), set()
    for i in range(4):
        _, q = answer_current(quizzes, bank, attempt["id"], right=i < 2)
        (right if i < 2 else wrong).add(q.id)
    assert quizzes.due_count(ALICE) == 2
    review = quizzes.start(ALICE, "review")
    assert review["mode"] == "review" and review["total"] == 2
    asked = set()
    for _ in range(2):
        result, q = answer_current(quizzes, bank, review["id"], right=True)
        assert "correct" in result  # review gives feedback like practice
        asked.add(q.id)
    assert asked == wrong
    assert quizzes.due_count(ALICE) == 0
    clock.now += DAY + 1  # box 2 is due after a day: all four come back
    assert quizzes.due_count(ALICE) == 4
    again = quizzes.start(ALICE, "review")
    assert again["total"] == 4


def test_review_without_due_questions_takes_the_weakest_codes(quizzes, bank, clock):
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["code_meaning"], "codes": [452]})
    answer_current(quizzes, bank, attempt["id"], right=False)
    review = quizzes.start(ALICE, "review")
    answer_current(quizzes, bank, review["id"], right=True)  # nothing due now
    assert quizzes.due_count(ALICE) == 0
    weakest = quizzes.start(ALICE, "review")
    ids = json.loads(quizzes.store.read(lambda db: db.execute(
        "SELECT question_ids FROM quiz_attempts WHERE id = ?", (weakest["id"],)).fetchone()[0]))
    assert ids and all(452 in bank.questions[i].codes for i in ids)


def test_review_with_no_history_says_so(quizzes):
    with pytest.raises(QuizError) as err:
        quizzes.start(ALICE, "review")
    assert err.value.code == "nothing_to_review"


def test_mastery_per_code_tells_known_shaky_unknown_and_unseen(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"codes": [250]})
    answer_current(quizzes, bank, attempt["id"], right=True)
    attempt = quizzes.start(ALICE, "practice", spec={"codes": [550]})
    answer_current(quizzes, bank, attempt["id"], right=False)
    codes = {(m["protocol"], m["code"]): m for m in quizzes.mastery(ALICE)["codes"]}
    assert codes[("smtp", 250)]["level"] == "known" and codes[("smtp", 250)]["box"] == 2
    assert codes[("smtp", 550)]["level"] == "unknown" and codes[("smtp", 550)]["rate"] == 0
    assert codes[("pop3", "+OK")]["level"] == "unseen" and codes[("pop3", "+OK")]["seen"] == 0
    attempt = quizzes.start(ALICE, "practice", spec={"codes": [550]})
    answer_current(quizzes, bank, attempt["id"], right=True)
    shaky = {(m["protocol"], m["code"]): m for m in quizzes.mastery(ALICE)["codes"]}[("smtp", 550)]
    assert shaky["level"] == "shaky" and shaky["rate"] == 0.5 and quizzes.mastery(ALICE)["known"] == 1
    order = [(m["protocol"], m["code"]) for m in quizzes.mastery(ALICE)["codes"]]
    assert order.index(("smtp", 250)) < order.index(("smtp", 550)) < order.index(("pop3", "+OK")) \
        < order.index(("imap", "NO"))


def test_history_lists_attempts_newest_first(quizzes, bank, clock):
    a = quizzes.start(ALICE, "practice", spec={"count": 2})
    answer_current(quizzes, bank, a["id"])
    clock.now += 10
    b = quizzes.start(ALICE, "test", spec={"count": 2})
    history = quizzes.history(ALICE)
    assert [h["id"] for h in history] == [b["id"], a["id"]]
    assert history[1]["score"] == 1 and history[1]["answered"] == 1 and history[1]["total"] == 2
    assert quizzes.history(BOB) == []


# ------------------------------------------------------- teachers' quizzes
def test_a_shared_quiz_without_shuffle_gives_everyone_the_same_order(quizzes, bank):
    quiz = quizzes.create_quiz("Replies", {"protocols": ["smtp"], "count": 4, "seed": 7, "mode": "test",
                                           "shuffle": False})
    assert quiz["count"] == 4 and quiz["mode"] == "test" and quiz["shuffle"] is False
    seen = {}
    for learner in (ALICE, BOB):
        attempt = quizzes.start(learner, "practice", quiz_id=quiz["id"])  # the quiz's mode wins
        assert attempt["mode"] == "test" and attempt["quiz"] == quiz["id"]
        shown = []
        while (state := quizzes.current(attempt["id"], learner, "en"))["question"]:
            shown.append(state["question"])
            answer_current(quizzes, bank, attempt["id"], learner=learner)
        seen[learner] = shown
    assert seen[ALICE] == seen[BOB]  # same questions, same choices in the same order
    again = quizzes.create_quiz("Replies", {"protocols": ["smtp"], "count": 4, "seed": 7, "mode": "test",
                                            "shuffle": False})
    assert again["id"] != quiz["id"]
    assert quizzes.quiz_questions(again["id"]) == quizzes.quiz_questions(quiz["id"])


@pytest.mark.parametrize("spec, code", [
    ({"protocols": ["smtp", "http"]}, "bad_protocols"),
    ({"types": ["essay"]}, "bad_types"),
    ({"topics": ["cooking"]}, "bad_topics"),
    ({"codes": [999]}, "bad_codes"),
    ({"codes": "452"}, None),
    ({"count": 0}, "bad_count"),
    ({"count": 51}, "bad_count"),
    ({"count": "5"}, "bad_count"),
    ({"seed": "abc"}, "bad_seed"),
    ({"seed": -1}, "bad_seed"),
    ({"seed": 2 ** 80}, "bad_seed"),
    ({"mode": "exam"}, "bad_mode"),
    ({"time_limit_s": 10, "mode": "test"}, "bad_time_limit"),
    ({"protocols": ["imap"], "types": ["retry"]}, "no_questions"),
    ([1, 2], "bad_spec"),
    ({"codes": list(range(500))}, "bad_codes"),
])
def test_a_quiz_spec_is_validated(quizzes, spec, code):
    if code is None:
        assert quizzes.create_quiz("ok", spec)["count"] == 3
        return
    with pytest.raises(QuizError) as err:
        quizzes.create_quiz("t", spec)
    assert err.value.code == code


def test_a_quiz_title_is_cleaned_and_bounded(quizzes):
    assert quizzes.create_quiz("  Week\x00 3\n quiz ", {})["title"] == "Week 3 quiz"
    for bad in ("x" * 500, 42, ["t"]):
        with pytest.raises(QuizError) as err:
            quizzes.create_quiz(bad, {})
        assert err.value.code == "bad_title"


def test_unknown_quizzes_are_404(quizzes):
    for call in (lambda: quizzes.quiz("nope"), lambda: quizzes.results("nope"),
                 lambda: quizzes.start(ALICE, "test", quiz_id="nope"), lambda: quizzes.quiz(None)):
        with pytest.raises(QuizError) as err:
            call()
        assert (err.value.code, err.value.status) == ("unknown_quiz", 404)


def test_results_show_each_learner_each_question_and_the_hardest_codes(quizzes, bank, store):
    from simulator.course.progress import Progress
    quiz = quizzes.create_quiz("Week 1", {"protocols": ["smtp"], "types": ["code_meaning"], "count": 3, "seed": 1,
                                          "shuffle": False})
    Progress(store).set_name(BOB, "=HYPERLINK(\"evil\")")
    for learner, rights in ((ALICE, (True, True, True)), (BOB, (True, False, False))):
        attempt = quizzes.start(learner, "practice", quiz_id=quiz["id"])
        for right in rights:
            answer_current(quizzes, bank, attempt["id"], learner=learner, right=right)
    results = quizzes.results(quiz["id"], "en")
    people = {p["name"]: p for p in results["learners"]}
    assert set(people) == {"Learner 1", "=HYPERLINK(\"evil\")"}
    assert people["Learner 1"]["best"] == 3 and people["=HYPERLINK(\"evil\")"]["last"] == 1
    assert people["Learner 1"]["answers"] == [True, True, True]
    assert all(ALICE not in json.dumps(results) and BOB not in json.dumps(results) for _ in [0])
    assert [q["rate"] for q in results["questions"]] == [1.0, 0.5, 0.5]
    assert results["hardest"][0]["rate"] == 0.5 and results["hardest"][-1]["rate"] == 1.0
    from simulator import i18n
    assert quizzes.results(quiz["id"], "ru")["learners"][0]["name"] == i18n.t("ru", "quizapi.learner_n", n=1)
    rows = list(csv.reader(io.StringIO(quizzes.results_csv(quiz["id"]))))
    assert rows[0][:6] == ["learner", "personal_name", "attempts", "best_score", "last_score", "total"]
    by_name = {r[0]: r for r in rows[1:3]}
    assert by_name["Learner 1"][3:6] == ["3", "3", "3"] and by_name["Learner 1"][-3:] == ["1", "1", "1"]
    assert "'=HYPERLINK(\"evil\")" in by_name  # a spreadsheet would run it: quoted
    assert len(rows) == 3  # one table: the header and one row per learner, nothing after
    questions = list(csv.reader(io.StringIO(quizzes.questions_csv(quiz["id"]))))
    assert questions[0] == ["question", "id", "type", "codes", "prompt", "answered", "correct", "success_rate",
                            "choices"]
    assert [r[0] for r in questions[1:]] == ["q1", "q2", "q3"] and all(len(r) == 9 for r in questions)
    listed = quizzes.quizzes()
    assert listed[0]["id"] == quiz["id"] and listed[0]["learners"] == 2


def _take(quizzes, bank, quiz_id, learner, right_ids=None, name=None):
    """Take a shared quiz to the end: right on ``right_ids`` (None: every question); the ids in the order shown."""
    attempt = quizzes.start(learner, "practice", quiz_id=quiz_id, name=name)
    shown = []
    while (state := quizzes.current(attempt["id"], learner, "en"))["question"]:
        shown.append(state["question"])
        qid = state["question"]["id"]
        answer_current(quizzes, bank, attempt["id"], learner=learner, right=right_ids is None or qid in right_ids)
    return attempt, shown


def test_a_shuffled_quiz_gives_each_learner_an_order_of_their_own_over_the_same_questions(quizzes, bank):
    quiz = quizzes.create_quiz("Shuffled", {"protocols": ["smtp"], "types": ["code_meaning"], "count": 5, "seed": 2})
    assert quiz["shuffle"] is True  # the default
    learners = [ALICE, BOB] + [f"learner-extra-{i}-0123456789" for i in range(4)]
    shown = {learner: _take(quizzes, bank, quiz["id"], learner)[1] for learner in learners}
    ids = {learner: [q["id"] for q in questions] for learner, questions in shown.items()}
    assert all(sorted(i) == sorted(ids[ALICE]) for i in ids.values())  # the same question set for all
    assert len({tuple(i) for i in ids.values()}) > 1  # ...in orders of their own
    keys = {learner: [[c["key"] for c in q["choices"]] for q in questions] for learner, questions in shown.items()}
    assert keys[ALICE] != keys[BOB]  # and choices under keys (so in an order) of their own
    assert quizzes.quiz_questions(quiz["id"]) == quizzes.quiz_questions(quiz["id"])


def test_shuffled_results_stay_per_question_with_counts_per_choice(quizzes, bank):
    quiz = quizzes.create_quiz("Per question", {"protocols": ["smtp"], "types": ["code_meaning"], "count": 3,
                                                "seed": 1})
    ids = [q.id for q in quizzes.quiz_questions(quiz["id"])]
    _take(quizzes, bank, quiz["id"], ALICE)
    _take(quizzes, bank, quiz["id"], BOB, right_ids={ids[0]})
    results = quizzes.results(quiz["id"], "en")
    assert [q["id"] for q in results["questions"]] == ids  # the quiz's own order, whatever each learner saw
    assert [q["rate"] for q in results["questions"]] == [1.0, 0.5, 0.5]
    people = {p["name"]: p for p in results["learners"]}
    assert people["Learner 2"]["answers"] == [True, False, False]  # per question id, not per position shown
    for q in results["questions"]:
        options = q["options"]
        assert sum(o["count"] for o in options) == 2 and sum(o["right"] for o in options) == 1
        right = next(o for o in options if o["right"])
        assert right["count"] == q["correct"]
        assert right["text"] == bank.questions[q["id"]].choices[0]["en"]


def test_an_ordering_question_counts_towards_no_code(quizzes, bank):
    quiz = quizzes.create_quiz("Order", {"protocols": ["smtp"], "types": ["order", "code_meaning"], "count": 6,
                                         "seed": 3, "shuffle": False})
    ids = [q.id for q in quizzes.quiz_questions(quiz["id"])]
    assert "order:smtp:transaction" in ids
    _take(quizzes, bank, quiz["id"], ALICE, right_ids=set(ids) - {"order:smtp:transaction"})
    results = quizzes.results(quiz["id"], "en")
    order = next(q for q in results["questions"] if q["id"] == "order:smtp:transaction")
    assert order["rate"] == 0.0 and order["options"] is None
    assert all(h["rate"] == 1.0 for h in results["hardest"])  # the failed ordering blames no code


def test_a_name_given_at_the_start_is_shown_in_the_results(quizzes, bank, store):
    from simulator.course.progress import Progress
    quiz = quizzes.create_quiz("Names", {"protocols": ["smtp"], "count": 2, "seed": 1})
    Progress(store).set_name(BOB, "Bobby")
    _take(quizzes, bank, quiz["id"], ALICE, name="  Alice \n Smith ")
    _take(quizzes, bank, quiz["id"], BOB)  # no name given: the saved one
    _take(quizzes, bank, quiz["id"], "learner-carol-0123456789")
    names = [p["name"] for p in quizzes.results(quiz["id"], "en")["learners"]]
    assert names == ["Alice Smith", "Bobby", "Learner 3"]
    with pytest.raises(QuizError) as err:
        quizzes.start(ALICE, None, quiz_id=quiz["id"], name="x" * 61)
    assert err.value.code == "bad_name"


def test_a_quiz_may_require_a_name(quizzes, bank):
    quiz = quizzes.create_quiz("Named", {"count": 2, "seed": 1, "require_name": True})
    assert quiz["require_name"] is True
    for name in (None, "", "   "):
        with pytest.raises(QuizError) as err:
            quizzes.start(ALICE, None, quiz_id=quiz["id"], name=name)
        assert (err.value.code, err.value.status) == ("name_required", 400)
    assert quizzes.start(ALICE, None, quiz_id=quiz["id"], name="Alice")["quiz"] == quiz["id"]


@pytest.mark.parametrize("field, value", [("shuffle", "yes"), ("require_name", 1)])
def test_quiz_settings_must_be_true_or_false(quizzes, field, value):
    with pytest.raises(QuizError) as err:
        quizzes.create_quiz("x", {field: value})
    assert err.value.code == f"bad_{field}"


def test_a_closed_quiz_takes_no_new_attempts_and_keeps_the_old_ones(quizzes, bank):
    quiz = quizzes.create_quiz("Closing", {"count": 2, "seed": 1})
    _take(quizzes, bank, quiz["id"], ALICE)
    running = quizzes.start(BOB, None, quiz_id=quiz["id"])
    assert quizzes.close_quiz(quiz["id"])["closed"] is True
    with pytest.raises(QuizError) as err:
        quizzes.start(BOB, None, quiz_id=quiz["id"])
    assert (err.value.code, err.value.status) == ("quiz_closed", 409)
    answer_current(quizzes, bank, running["id"], learner=BOB)  # an attempt already started may end
    assert len(quizzes.results(quiz["id"])["learners"]) == 2
    assert quizzes.close_quiz(quiz["id"], False)["closed"] is False
    assert quizzes.start(BOB, None, quiz_id=quiz["id"])["quiz"] == quiz["id"]
    with pytest.raises(QuizError):
        quizzes.close_quiz(quiz["id"], "yes")


def test_a_deleted_quiz_is_gone_with_its_attempts(quizzes, bank):
    quiz = quizzes.create_quiz("Deleting", {"count": 2, "seed": 1})
    attempt, _ = _take(quizzes, bank, quiz["id"], ALICE)
    quizzes.delete_quiz(quiz["id"])
    for call in (lambda: quizzes.quiz(quiz["id"]), lambda: quizzes.results(quiz["id"]),
                 lambda: quizzes.delete_quiz(quiz["id"]), lambda: quizzes.current(attempt["id"], ALICE, "en")):
        with pytest.raises(QuizError) as err:
            call()
        assert err.value.status == 404
    assert quizzes.quizzes() == [] and quizzes.history(ALICE) == []
    assert boxes(quizzes)  # the learner's own review boxes stay


def test_the_preview_shows_every_question_with_its_right_answer(quizzes, bank):
    quiz = quizzes.create_quiz("Preview", {"protocols": ["smtp"], "types": ["order", "code_meaning"], "count": 6,
                                           "seed": 3})
    preview = quizzes.preview(quiz["id"], "ru")
    assert [q["id"] for q in preview] == [q.id for q in quizzes.quiz_questions(quiz["id"])]
    for q in preview:
        source = bank.questions[q["id"]]
        if q["kind"] == "single":
            assert [c["text"] for c in q["choices"] if c["right"]] == [source.choices[source.answer]["ru"]]
        else:
            assert [c["text"] for c in q["choices"]] == list(source.choices) and not any(c["right"] for c in q["choices"])
        assert q["explanation"].startswith("ОБЪЯСНЕНИЕ")


def test_a_removed_question_is_skipped_not_stuck(quizzes, bank):
    attempt = quizzes.start(ALICE, "practice", spec={"protocols": ["pop3"]})
    state = quizzes.current(attempt["id"], ALICE, "en")
    del bank.questions[state["question"]["id"]]
    state = quizzes.current(attempt["id"], ALICE, "en")
    assert state["attempt"]["total"] == 1 and state["question"] is not None
    answer_current(quizzes, bank, attempt["id"])
    assert quizzes.finish(attempt["id"], ALICE, "en")["total"] == 1


# -------------------------------------------------------------- durability
def test_results_and_keys_survive_reopening_the_store(tmp_path, bank, clock):
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    quizzes = Quizzes(store, clock=clock, bank=bank)
    quiz = quizzes.create_quiz("Durable", {"count": 3, "seed": 3})
    attempt = quizzes.start(ALICE, "practice", quiz_id=quiz["id"])
    answer_current(quizzes, bank, attempt["id"], right=True)
    shown = quizzes.current(attempt["id"], ALICE, "en")["question"]
    store.close()
    # another process starts with another process secret; the keys come from the store's
    assert quiz_bank.ChoiceKeys().keys("q", 1, 2) != quiz_bank.PROCESS_KEYS.keys("q", 1, 2)

    store = MailStore(path=path, seed_file=None)
    quizzes = Quizzes(store, clock=clock, bank=bank)
    assert quizzes.current(attempt["id"], ALICE, "en")["question"] == shown  # the same keys after a restart
    answer_current(quizzes, bank, attempt["id"], right=True)
    assert quizzes.history(ALICE)[0]["score"] == 2
    assert quizzes.results(quiz["id"])["learners"][0]["last"] == 2
    assert boxes(quizzes)
    store.close()


def test_a_new_store_has_its_own_secret_for_the_keys(tmp_path, bank, clock):
    one = Quizzes(MailStore(seed_file=None), clock=clock, bank=bank)
    first_keys = one.keys.keys("code_meaning:smtp:452", 1, 4)
    two = Quizzes(MailStore(seed_file=None), clock=clock, bank=bank)
    def read(q):
        return q.store.read(lambda db: db.execute("SELECT value FROM meta WHERE key = 'quiz_secret'").fetchone()[0])
    assert len(read(one)) == 64 and read(one) != read(two)
    # the second store does not change the first one's keys (the secret is the store's, not the process's)
    assert one.keys.keys("code_meaning:smtp:452", 1, 4) == first_keys != two.keys.keys("code_meaning:smtp:452", 1, 4)


# ----------------------------------------------------------- the real bank
def test_the_real_bank_works_through_the_whole_flow(store, clock):
    try:
        real = quiz_bank.bank()
    except Exception as exc:  # noqa: BLE001 - the bank is being written by someone else
        pytest.skip(f"the question bank is not ready: {exc}")
    quizzes = Quizzes(store, clock=clock)
    quiz = quizzes.create_quiz("All", {"protocols": ["smtp"], "count": 10, "seed": 5})
    attempt = quizzes.start(ALICE, "practice", quiz_id=quiz["id"])
    wrapper = FakeBank(list(real.values()))
    while quizzes.current(attempt["id"], ALICE, "en")["question"]:
        result, q = answer_current(quizzes, wrapper, attempt["id"])
        assert result["correct"] is True
    assert quizzes.finish(attempt["id"], ALICE, "en")["score"] == quiz["count"]


# -------------------------------------------------------------------- CLI
def test_mailsim_quizzes_check_reports_file_and_line_and_exits_1(tmp_path, capsys):
    from simulator import cli
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.toml").write_text('[[question]]\nid = "x"\ntopic = "mime"\n', encoding="utf-8")
    assert cli.main(["quizzes", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "broken.toml:1:" in err and "problems found." in err
    assert cli.main(["quizzes", "check", str(tmp_path / "missing")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_mailsim_quizzes_check_passes_the_shipped_questions(capsys):
    from simulator import cli
    assert cli.main(["quizzes", "check"]) == 0
    assert "all valid" in capsys.readouterr().out


def test_a_real_predict_answer_brings_the_real_reply_only_after_answering(store, clock):
    try:
        real = quiz_bank.bank()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the question bank is not ready: {exc}")
    quizzes = Quizzes(store, clock=clock)
    attempt = quizzes.start(ALICE, "practice", spec={"types": ["predict"], "protocols": ["smtp"], "count": 3})
    wrapper = FakeBank(list(real.values()))
    for _ in range(attempt["total"]):
        state = quizzes.current(attempt["id"], ALICE, "en")
        assert real[state["question"]["id"]].type == "predict"
        assert state["question"]["replay"][-1]["from"] == "client"  # paused before the reply
        result, _ = answer_current(quizzes, wrapper, attempt["id"], right=False)
        reply = result["replay_reply"]
        assert reply and reply["from"] == "server" and str(reply["code"]) == result["right_text"]


def test_quizzes_made_before_the_settings_keep_one_order_for_everyone(tmp_path, bank, clock):
    from simulator.quiz.attempts import SCHEMA
    from simulator.store.schema import Schema
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    store.ensure(Schema(SCHEMA.part, SCHEMA.migrations[:1], requires=SCHEMA.requires))  # version 1: no settings
    ids = [q.id for q in bank.select(protocols=["smtp"], count=3, seed=5)]
    store.write(lambda db: db.execute(
        "INSERT INTO quizzes (id, title, spec, question_ids, created) VALUES (?, ?, ?, ?, ?)",
        ("old", "Old", json.dumps({"protocols": ["smtp"], "codes": None, "types": None, "topics": None, "count": 3,
                                   "mode": "practice", "time_limit_s": None, "seed": 5}), json.dumps(ids), 1.0)))
    store.close()
    store = MailStore(path=path, seed_file=None)
    quizzes = Quizzes(store, clock=clock, bank=bank)  # migrates the part to version 2
    quiz = quizzes.quiz("old")
    assert (quiz["shuffle"], quiz["require_name"], quiz["closed"]) == (False, False, False)
    shown = [_take(quizzes, bank, "old", learner)[1] for learner in (ALICE, BOB)]
    assert shown[0] == shown[1] and [q["id"] for q in shown[0]] == ids
    store.close()
