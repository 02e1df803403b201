"""Lesson files: parsing, validation with ``path:line`` errors, the CLI, and the shipped course (simulator/lessons.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from simulator import cli
from simulator.course.lessons import (
    DEFAULT_DIR,
    LANGUAGES,
    LessonError,
    Task,
    Widget,
    load_course,
    render_inline,
    render_markdown,
    validate,
)

FRONT = '+++\ntitle = "{title}"\nsummary = "{summary}"\nminutes = 10\n+++\n'

GLOSSARY = '''[[term]]
id = "reply"
en = "reply"
ru = "ответ"
lecture = "отклик"
definition = { en = "What a server answers to a command.", ru = "То, что сервер отвечает на команду." }
rfc = "RFC 5321 4.2"

[[term]]
id = "greeting"
en = "greeting"
ru = "приветствие"
definition = { en = "The server's first reply.", ru = "Первый ответ сервера." }
note = { en = "The lecture says hello.", ru = "В лекции это называется иначе." }
'''

# A valid lesson; the Russian version differs only in its human text.
TEXTS = {
    "en": {"title": "Greetings", "summary": "How a session opens.", "step1": "The greeting",
           "prose": "The server speaks **first**: <script>alert(1)</script>", "caption": "Watch the *greeting*.",
           "after": "After the widget, more prose.", "step2": "Say hello", "goal": "Say EHLO.",
           "missing": "No EHLO has been answered with 250 yet.", "prompt": "Which code is the greeting?"},
    "ru": {"title": "Приветствие", "summary": "Как начинается сеанс.", "step1": "Приветствие сервера",
           "prose": "Сервер говорит **первым**.", "caption": "Посмотрите на *приветствие*.",
           "after": "После виджета ещё текст.", "step2": "Поздоровайтесь", "goal": "Отправьте EHLO.",
           "missing": "На EHLO ещё не было ответа 250.", "prompt": "Какой код у приветствия?"},
}

VALID = '''
## {step1}

{prose}

```widget
kind = "scenario"
scenario = "fig_14_6_establishment"
caption = "{caption}"
```

{after}

```
220 mx.example.org ESMTP
## not a heading: inside a code block
# nor this
```

## {step2}

```task
id = "ehlo-hello"
protocol = "smtp"
goal = "{goal}"
hints = ["EHLO client.example", "{goal}"]
done = "{goal}"

[solution]
steps = [ {{ send = "EHLO client.example" }}, {{ send = "QUIT" }} ]

[[expect]]
command = "EHLO"
reply = 250
missing = "{missing}"

[[forbid]]
command = "HELO"
present = "{missing}"
```

```widget
kind = "mail"
user = "bob"
folder = "Work/Invoices"
uid = 1
tab = "headers"
caption = "{caption}"
```

```task
id = "which-code"
goal = "{goal}"
hints = ["A hint."]
[question]
prompt = "{prompt}"
choices = ["220", "250", "{goal}"]
answer = 1
explain = "{goal}"
why_wrong = ["", "{prompt}", "{prompt}"]
```
'''


def valid_lesson(lang: str = "en") -> str:
    return FRONT.format(**TEXTS[lang]) + VALID.format(**TEXTS[lang])


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` containing ``needle``."""
    found = [i for i, line in enumerate(text.split("\n"), 1) if needle in line]
    assert len(found) >= nth, f"{needle!r} is not in the text {nth} time(s)"
    return found[nth - 1]


def write_course(root: Path, lessons: dict, glossary: Optional[str] = GLOSSARY) -> Path:
    """``lessons`` maps a file name to its text (the same in both languages) or to {lang: text}."""
    for lang in LANGUAGES:
        (root / lang).mkdir(parents=True, exist_ok=True)
    for name, text in lessons.items():
        by_lang = text if isinstance(text, dict) else {lang: text for lang in LANGUAGES}
        for lang, t in by_lang.items():
            (root / lang / name).write_text(t, encoding="utf-8")
    if glossary is not None:
        (root / "glossary.toml").write_text(glossary, encoding="utf-8")
    return root


def simple(body: str, front: Optional[str] = None) -> str:
    """A lesson file: the standard front matter and ``body``."""
    return (front if front is not None else FRONT.format(title="T", summary="S.")) + body


def problem(tmp_path: Path, text: str, play: bool = False) -> tuple[int, str]:
    """The one problem of a lesson written identically in both languages: (line, message), the same in each."""
    write_course(tmp_path, {"01-test.md": text})
    _, errors = validate(tmp_path, play=play)
    assert len(errors) == 2, "\n".join(map(str, errors))
    en, ru = sorted(errors, key=lambda e: e.path)
    assert Path(en.path) == tmp_path / "en" / "01-test.md" and Path(ru.path) == tmp_path / "ru" / "01-test.md"
    assert (en.line, en.message) == (ru.line, ru.message)
    assert str(en) == f"{en.path}:{en.line}: {en.message}"
    return en.line, en.message


def fence(kind: str, toml: str) -> str:
    return f"```{kind}\n{toml.strip()}\n```\n"


def step(*blocks: str, title: str = "A step") -> str:
    return f"\n## {title}\n\nSome text.\n\n" + "\n".join(blocks)


TASK_HEAD = 'id = "t1"\nprotocol = "{protocol}"\ngoal = "Do it."\nhints = ["A hint."]\n'
SOLUTION = '[solution]\nsteps = [ {{ send = "{line}" }} ]\n'


def task(body: str, protocol: str = "smtp", solution: Optional[str] = "EHLO client.example", head: str = "") -> str:
    """A task block: id t1, the protocol, ``head``, a solution sending one line (or none), then ``body``."""
    head = TASK_HEAD.format(protocol=protocol) + head
    sol = SOLUTION.format(line=solution) if solution else ""
    return fence("task", head + sol + body)


EHLO_EXPECT = '[[expect]]\ncommand = "EHLO"\nreply = 250\nmissing = "No EHLO yet."\n'


# ------------------------------------------------------------ a valid lesson
@pytest.fixture
def course(tmp_path):
    write_course(tmp_path, {"01-greetings.md": {"en": valid_lesson("en"), "ru": valid_lesson("ru")}})
    course, errors = validate(tmp_path)
    assert errors == []
    return course


def test_a_valid_lesson_has_its_front_matter_and_steps(course):
    lesson = course.get("greetings", "en")
    assert (lesson.slug, lesson.number, lesson.lang) == ("greetings", 1, "en")
    assert (lesson.title, lesson.summary, lesson.minutes) == ("Greetings", "How a session opens.", 10)
    text = valid_lesson("en")
    assert [(s.number, s.title, s.line) for s in lesson.steps] == [
        (1, "The greeting", line_of(text, "## The greeting")), (2, "Say hello", line_of(text, "## Say hello"))]


def test_a_valid_lesson_step_holds_prose_and_widgets_in_order_with_their_lines(course):
    text = valid_lesson("en")
    first = course.get("greetings", "en").steps[0]
    kinds = [b[0] if isinstance(b, tuple) else type(b).__name__ for b in first.blocks]
    assert kinds == ["md", "Widget", "md"]
    prose, widget, after = first.blocks
    assert prose[2] == line_of(text, "The server speaks")
    assert prose[1].strip() == TEXTS["en"]["prose"]
    assert widget.line == line_of(text, "```widget")
    assert widget.kind == "scenario" and widget.caption == "Watch the *greeting*."
    assert widget.fields == {"scenario": "fig_14_6_establishment", "protocol": "smtp"}  # the scenario's protocol
    assert after[2] == line_of(text, "After the widget")
    assert "## not a heading: inside a code block" in after[1]  # a code block is prose, not a step


def test_a_valid_lesson_task_has_its_checks_solution_and_lines(course):
    text = valid_lesson("en")
    lesson = course.get("greetings", "en")
    second = lesson.steps[1]
    assert [type(b) for b in second.blocks] == [Task, Widget, Task]
    ehlo, mail, which = second.blocks
    assert ehlo.line == line_of(text, "```task")
    assert (ehlo.id, ehlo.protocol, ehlo.source, ehlo.goal, ehlo.done) == (
        "ehlo-hello", "smtp", "lab", "Say EHLO.", "Say EHLO.")
    assert ehlo.hints == ("EHLO client.example", "Say EHLO.")
    assert [(s.kind, s.value) for s in ehlo.solution.steps] == [("send", "EHLO client.example"), ("send", "QUIT")]
    assert ehlo.solution.line == line_of(text, "[solution]")
    (exp,) = ehlo.expects
    assert (exp.command, exp.reply, exp.text, exp.line) == ("EHLO", (250,), TEXTS["en"]["missing"],
                                                          line_of(text, "[[expect]]"))
    (forbid,) = ehlo.forbids
    assert (forbid.command, forbid.line) == ("HELO", line_of(text, "[[forbid]]"))
    assert mail.fields == {"user": "bob", "folder": "Work/Invoices", "uid": 1, "tab": "headers"}
    assert which.protocol is None and which.solution is None and which.expects == ()
    assert (which.question.answer, which.question.choices[:2], which.question.line) == (
        1, ("220", "250"), line_of(text, "[question]"))
    assert lesson.task("which-code") is which and lesson.task("nothing") is None
    assert lesson.tasks() == [(2, ehlo), (2, which)]
    assert second.tasks == [ehlo, which]


def test_a_valid_course_has_both_languages_and_the_glossary(course):
    assert course.get("greetings", "ru").title == "Приветствие"
    assert [lesson.lang for lesson in course.ordered("ru")] == ["ru"]
    assert course.get("nothing", "en") is None
    assert [(t.id, t.ru, t.lecture) for t in course.glossary] == [("reply", "ответ", "отклик"),
                                                                  ("greeting", "приветствие", None)]
    assert course.glossary[1].note["ru"] == "В лекции это называется иначе."


def test_lessons_are_ordered_by_number(tmp_path):
    write_course(tmp_path, {"10-later.md": simple(step()), "02-earlier.md": simple(step())})
    course, errors = validate(tmp_path)
    assert errors == []
    assert [(lesson.number, lesson.slug) for lesson in course.ordered("en")] == [(2, "earlier"), (10, "later")]


def test_a_prose_block_starts_at_its_first_line_of_text(tmp_path):
    text = simple("\n## Step\n\n\n\nFirst words.\nSecond line.\n")
    write_course(tmp_path, {"01-a.md": text})
    course, errors = validate(tmp_path)
    assert errors == []
    (block,) = course.get("a", "en").steps[0].blocks
    assert block == ("md", "First words.\nSecond line.\n", line_of(text, "First words."))


def test_render_markdown_escapes_raw_html():
    html = render_markdown("Hello <script>alert(1)</script> **you**\n\n<div onclick='x()'>hi</div>\n")
    assert "<script>" not in html and "<div" not in html
    assert "&lt;script&gt;" in html and "<strong>you</strong>" in html


def test_render_markdown_of_a_lesson_block_keeps_no_script(course):
    prose = course.get("greetings", "en").steps[0].blocks[0][1]
    html = render_markdown(prose)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_render_markdown_shows_an_address_in_angle_brackets_as_written():
    html = render_markdown("Send `RCPT` as RCPT TO:<bob@example.org> now.")
    assert "RCPT TO:&lt;bob@example.org&gt;" in html and "mailto" not in html and "<a " not in html


def test_render_markdown_renders_tables_and_code():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\n<b>x</b>\n```\n")
    assert "<table>" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_render_inline_makes_no_paragraph_and_escapes_html():
    html = render_inline("Use `EHLO` *now* <img src=x onerror=y>")
    assert html.startswith("Use <code>EHLO</code> <em>now</em>") and "<img" not in html and "<p>" not in html


# ------------------------------------------------------------ front matter
def test_bad_toml_in_the_front_matter_is_reported_at_its_line(tmp_path):
    text = simple(step(), front='+++\ntitle = "T"\nsummary = \nminutes = 5\n+++\n')
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "summary =")
    assert message.startswith("not valid TOML: ")


def test_a_file_without_front_matter_is_reported_at_line_1(tmp_path):
    line, message = problem(tmp_path, "## Step\n\nText.\n")
    assert (line, message) == (1, "a lesson starts with TOML front matter between two '+++' lines")


def test_front_matter_without_its_closing_line_is_reported(tmp_path):
    line, message = problem(tmp_path, '+++\ntitle = "T"\n\n## Step\n')
    assert (line, message) == (1, "the front matter has no closing '+++' line")


@pytest.mark.parametrize("missing", ["title", "summary"])
def test_a_missing_front_matter_text_is_reported(tmp_path, missing):
    front = "\n".join(line for line in FRONT.format(title="T", summary="S").split("\n")
                      if not line.startswith(missing))
    line, message = problem(tmp_path, simple(step(), front=front))
    assert line == 2
    assert message == f"front matter: {missing} is missing"


def test_missing_minutes_are_reported_in_the_front_matter(tmp_path):
    line, message = problem(tmp_path, simple(step(), front='+++\ntitle = "T"\nsummary = "S"\n+++\n'))
    assert 1 <= line <= 4 and message == "front matter: minutes is a whole number from 1 to 240"


def test_bad_minutes_are_reported_at_their_line(tmp_path):
    text = simple(step(), front='+++\ntitle = "T"\nsummary = "S"\nminutes = "ten"\n+++\n')
    line, message = problem(tmp_path, text)
    assert (line, message) == (4, "front matter: minutes is a whole number from 1 to 240")


def test_an_unknown_front_matter_key_is_reported_at_its_line(tmp_path):
    text = simple(step(), front='+++\ntitle = "T"\nsummary = "S"\nminutes = 5\nauthor = "me"\n+++\n')
    line, message = problem(tmp_path, text)
    assert line == 5
    assert message == "unknown front matter key 'author' (allowed: title, summary, minutes)"


# ------------------------------------------------------------------- body
def test_text_before_the_first_step_is_reported(tmp_path):
    text = simple("\nAn introduction.\n\n## Step\n\nText.\n")
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "An introduction.")
    assert message == "text before the first step: every step starts with a '## ' heading"


def test_a_widget_before_the_first_step_is_reported(tmp_path):
    text = simple("\n" + fence("widget", 'kind = "live"\nprotocol = "smtp"') + "\n## Step\n")
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "```widget"), "a widget before the first step ('## ' heading)")


def test_a_lesson_without_steps_is_reported(tmp_path):
    line, message = problem(tmp_path, simple("\n"))
    assert (line, message) == (6, "a lesson has at least one step ('## Step title')")


def test_a_level_1_heading_is_reported(tmp_path):
    text = simple(step() + "\n# Big title\n\nMore.\n")
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "# Big title")
    assert message == "no level-1 heading in a lesson (its title is in the front matter)"


@pytest.mark.parametrize("opening", ["```widget", "```", "~~~~python"])
def test_an_unclosed_fence_is_reported_at_its_opening_line(tmp_path, opening):
    text = simple(step(f"{opening}\nkind = \"live\"\nprotocol = \"smtp\"\n\nMore text.\n"))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, opening), "a fenced block is never closed")


def test_a_shorter_fence_does_not_close_a_longer_one(tmp_path):
    text = simple(step("````\n```\nnot closed by the inner fence\n"))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "````"), "a fenced block is never closed")


def test_a_step_heading_without_a_title_is_reported(tmp_path):
    text = simple(step() + "\n##   \n\nText.\n")
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "##   "), "a step heading needs a title")


# ----------------------------------------------------------------- widgets
def test_bad_toml_in_a_widget_is_reported_at_the_line_inside_the_file(tmp_path):
    text = simple(step(fence("widget", 'kind = "scenario"\nscenario = fig_14_6\ncaption = "x"')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "scenario = fig_14_6")
    assert message.startswith("not valid TOML: ")


def test_an_unknown_widget_kind_is_reported_with_the_kinds(tmp_path):
    text = simple(step(fence("widget", 'caption = "x"\nkind = "consol"\nprotocol = "smtp"')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'kind = "consol"')
    assert message == "unknown widget kind 'consol' (one of: scenario, console, faults, journey, mail, codes, live)"


def test_a_widget_without_kind_is_reported(tmp_path):
    text = simple(step(fence("widget", 'protocol = "smtp"')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "```widget") + 1 and message.startswith("unknown widget kind None")


def test_an_unknown_widget_key_is_reported_at_its_line(tmp_path):
    text = simple(step(fence("widget", 'kind = "console"\nprotocol = "smtp"\ncolour = "red"')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "colour")
    assert message == "unknown key 'colour' for a console widget (allowed: kind, caption, protocol, preset)"


def test_a_widget_missing_a_required_key_is_reported(tmp_path):
    text = simple(step(fence("widget", 'kind = "mail"\ncaption = "x"')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'kind = "mail"') and message == "a mail widget needs 'user'"


@pytest.mark.parametrize("toml, key, expected", [
    ('kind = "scenario"\nscenario = "fig_99"', "scenario", "unknown scenario 'fig_99' (simulator/data/scenarios/)"),
    ('kind = "console"\nprotocol = "smtp"\npreset = "no_such_preset"', "preset", "unknown preset 'no_such_preset'"),
    ('kind = "faults"\nprotocol = "pop3"\npreset = "greylisting"', "preset",
     "preset 'greylisting' is for SMTP, not POP3"),
    ('kind = "console"\nprotocol = "smtp"\npreset = "imap_wrong_password"', "preset",
     "preset 'imap_wrong_password' is for IMAP, not SMTP"),
    ('kind = "journey"\npreset = "sunny_day"', "preset", "unknown journey preset 'sunny_day' (one of: "),
    ('kind = "journey"\npreset = "greylisting"\nat = "bounce"', "at",
     "at is where the journey page opens, one of: figures, run"),
    ('kind = "console"\nprotocol = "http"', "protocol", "unknown protocol 'http' (one of: smtp, pop3, imap)"),
    ('kind = "mail"\nuser = "carol"', "user", "user is 'alice' or 'bob', not 'carol'"),
    ('kind = "mail"\nuser = "bob"\ntab = "raw"', "tab", "tab is one of: message, structure, headers, source"),
    ('kind = "mail"\nuser = "bob"\nuid = 0', "uid", "uid is a positive whole number"),
    ('kind = "mail"\nuser = "bob"\nuid = "1"', "uid", "uid is a positive whole number"),
    ('kind = "mail"\nuser = "bob"\nfolder = 3', "folder", "folder is a folder name like 'INBOX' or 'Work/Invoices'"),
    ('kind = "codes"\nprotocol = "smtp"\ncodes = [220, 299, 421]', "codes", "not in the SMTP catalogue: 299"),
    ('kind = "codes"\nprotocol = "smtp"\ncodes = ["+OK"]', "codes", "an SMTP reply is a three-digit code, not '+OK'"),
    ('kind = "codes"\nprotocol = "pop3"\ncodes = ["+OK", "OK"]', "codes", "'OK' is not a POP3 reply (one of: +OK, -ERR)"),
    ('kind = "codes"\nprotocol = "imap"\ncodes = [250]', "codes", "a IMAP reply is a status like 'OK', not 250"),
    ('kind = "live"\nprotocol = "smtp"\ncaption = 5', "caption", "caption must be text"),
])
def test_a_bad_widget_value_is_reported_at_its_key(tmp_path, toml, key, expected):
    text = simple(step(fence("widget", toml)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, f"{key} =")
    assert message.startswith(expected)


def test_a_journey_preset_error_lists_the_journey_presets(tmp_path):
    _, message = problem(tmp_path, simple(step(fence("widget", 'kind = "journey"\npreset = "x"'))))
    assert "happy_path" in message and "greylisting" in message and "read_wrong_password" in message


@pytest.mark.parametrize("toml, key", [
    ('kind = ["console"]', "kind"),
    ('kind = "scenario"\nscenario = ["fig_14_6_establishment"]', "scenario"),
    ('kind = "console"\nprotocol = "smtp"\npreset = ["greylisting"]', "preset"),
    ('kind = "journey"\npreset = { name = "happy_path" }', "preset"),
    ('kind = "console"\nprotocol = ["smtp"]', "protocol"),
    ('kind = "mail"\nuser = "bob"\ntab = ["source"]', "tab"),
])
def test_a_widget_value_of_the_wrong_type_is_an_error_not_a_crash(tmp_path, toml, key):
    text = simple(step(fence("widget", toml)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, f"{key} =")
    assert message


def test_valid_widgets_of_every_kind_parse(tmp_path):
    widgets = [
        'kind = "console"\nprotocol = "pop3"\npreset = "pop3_wrong_password"',
        'kind = "faults"\nprotocol = "smtp"',
        'kind = "journey"\npreset = "greylisting"\nat = "run"',
        'kind = "journey"',
        'kind = "mail"\nuser = "alice"',
        'kind = "codes"\nprotocol = "imap"\ncodes = ["ok", "NO", "BAD"]',
        'kind = "codes"\nprotocol = "smtp"',
        'kind = "live"\nprotocol = "imap"\ncaption = "Your port, {personal_name}."',
    ]
    write_course(tmp_path, {"01-a.md": simple(step(*(fence("widget", w) for w in widgets)))})
    course, errors = validate(tmp_path)
    assert errors == []
    got = [(w.kind, w.fields) for w in course.get("a", "en").steps[0].blocks if isinstance(w, Widget)]
    assert got[5] == ("codes", {"protocol": "imap", "codes": ["OK", "NO", "BAD"]})
    assert got[2] == ("journey", {"preset": "greylisting", "at": "run"})
    assert [kind for kind, _ in got] == ["console", "faults", "journey", "journey", "mail", "codes", "codes", "live"]


# ------------------------------------------------------------------- tasks
def test_bad_toml_in_a_task_is_reported_at_the_line_inside_the_file(tmp_path):
    text = simple(step(task(EHLO_EXPECT + 'missing = "again"\n')))  # a key defined twice
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'missing = "again"')
    assert message.startswith("not valid TOML: ")


def test_a_duplicate_task_id_is_reported_at_the_second_task(tmp_path):
    text = simple(step(task(EHLO_EXPECT), task(EHLO_EXPECT)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'id = "t1"', nth=2)
    assert message == "task id 't1' is used twice in this lesson"


def test_the_same_task_id_in_two_lessons_is_fine(tmp_path):
    write_course(tmp_path, {"01-a.md": simple(step(task(EHLO_EXPECT))), "02-b.md": simple(step(task(EHLO_EXPECT)))})
    assert validate(tmp_path)[1] == []


@pytest.mark.parametrize("task_id", ["T1", "t_1", "", "-t"])
def test_a_bad_task_id_is_reported(tmp_path, task_id):
    text = simple(step(fence("task", f'id = "{task_id}"\ngoal = "x"\nhints = ["A hint."]\n[question]\nprompt = "p"\nchoices = ["a", "b"]\n'
                                     'answer = 1\nexplain = "e"\nwhy_wrong = ["", "w"]')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "```task") + 1
    assert message == f"a task needs an id of lower-case letters, digits and '-', not {task_id!r}"


def test_a_task_without_a_goal_is_reported(tmp_path):
    text = simple(step(fence("task", 'id = "t1"\nprotocol = "smtp"\n' + SOLUTION.format(line="NOOP") + EHLO_EXPECT)))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, 'id = "t1"'), "goal is missing")


def test_an_unknown_task_key_is_reported(tmp_path):
    text = simple(step(task(EHLO_EXPECT, head="points = 5\n")))
    _, message = problem(tmp_path, text)
    assert message.startswith("unknown key 'points' in a task (allowed: id, protocol")


def test_a_task_without_checks_is_reported(tmp_path):
    text = simple(step(fence("task", 'id = "t1"\nprotocol = "smtp"\ngoal = "Nothing to do."\nhints = ["A hint."]')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'id = "t1"')
    assert message == "task 't1' checks nothing: give [[expect]] tables or a [question]"


def test_a_task_without_hints_is_reported(tmp_path):
    text = simple(step(fence("task", 'id = "t1"\nprotocol = "smtp"\ngoal = "Say EHLO."\n'
                                     + SOLUTION.format(line="EHLO x") + EHLO_EXPECT)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'id = "t1"')
    assert message.startswith("task 't1' needs hints")


def test_a_forbid_without_an_expect_is_reported(tmp_path):
    text = simple(step(task('[[forbid]]\ncommand = "DELE"\npresent = "You deleted."\n', protocol="pop3",
                            solution="USER bob")))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[[forbid]]")
    assert message == "a task needs at least one [[expect]] (forbids alone pass with an empty session)"


def test_checks_without_a_protocol_are_reported(tmp_path):
    text = simple(step(fence("task", 'id = "t1"\ngoal = "x"\nhints = ["A hint."]\n' + SOLUTION.format(line="EHLO x") + EHLO_EXPECT)))
    line, message = problem(tmp_path, text)  # and nothing about the solution it cannot play
    assert line == line_of(text, "[[expect]]") and message == "a task with expect/forbid needs a protocol"


def test_an_unknown_task_protocol_is_reported(tmp_path):
    text = simple(step(task(EHLO_EXPECT, protocol="nntp")))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, 'protocol = "nntp"'),
                               "unknown protocol 'nntp' (one of: smtp, pop3, imap)")


def test_an_unknown_task_source_is_reported(tmp_path):
    text = simple(step(task(EHLO_EXPECT, head='source = "telnet"\n')))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "source ="), "source is 'lab' or 'real', not 'telnet'")


@pytest.mark.parametrize("preset, expected", [
    ("nothing", "unknown preset 'nothing'"),
    ("pop3_wrong_password", "preset 'pop3_wrong_password' is for POP3, this task is SMTP"),
])
def test_a_bad_task_preset_is_reported(tmp_path, preset, expected):
    body = TASK_HEAD.format(protocol="smtp") + f'preset = "{preset}"\n' + SOLUTION.format(line="NOOP") + EHLO_EXPECT
    text = simple(step(fence("task", body)))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "preset ="), expected)


@pytest.mark.parametrize("where", ["task", "solution"])
def test_a_preset_of_the_wrong_type_is_an_error_not_a_crash(tmp_path, where):
    preset = 'preset = ["greylisting"]\n'
    body = TASK_HEAD.format(protocol="smtp") + (preset if where == "task" else "") + "[solution]\n" + \
        (preset if where == "solution" else "") + 'steps = []\n' + EHLO_EXPECT
    text = simple(step(fence("task", body)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "preset =" if where == "task" else "[solution]")
    assert "unknown preset ['greylisting']" in message


def test_an_unclosed_array_at_the_end_of_a_block_is_reported_at_its_last_line(tmp_path):
    text = simple(step(fence("widget", 'kind = "codes"\nprotocol = "smtp"\ncodes = [220,\n  421,')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "  421,")
    assert message.startswith("not valid TOML: ") and "end of document" not in message


def test_checks_without_a_solution_are_reported(tmp_path):
    text = simple(step(task(EHLO_EXPECT, solution=None)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, 'id = "t1"')
    assert message == "task 't1' has checks but no [solution] (the reference solution 'show me' plays)"


@pytest.mark.parametrize("check, expected", [
    ('verb = "EHLO"\nmissing = "m"', "unknown key 'verb' in this check (allowed: command, message, arg"),
    ('command = "EHLO"', "'missing' (the feedback) is missing"),
    ('command = "EHLO"\nmissing = ""', "'missing' (the feedback) must be non-empty text"),
    ('command = "MAIL FROM"\nmissing = "m"', None),  # two words: allowed in the form, like UID FETCH
    ('command = "RCPT:"\nmissing = "m"', "command must be a command verb like 'RCPT' or 'UID FETCH', not 'RCPT:'"),
    ('command = "EHLO"\nreply = "+OK"\nmissing = "m"', "an SMTP reply is a three-digit code, not '+OK'"),
    ('command = "EHLO"\nreply = 999\nmissing = "m"', "an SMTP reply is a three-digit code, not 999"),
    ('command = "EHLO"\nreply = []\nmissing = "m"', "reply must name at least one reply"),
    ('command = "EHLO"\nclass = 6\nmissing = "m"', "class is an SMTP reply's first digit: 2, 3, 4 or 5"),
    ('command = "EHLO"\narg = "(unclosed"\nmissing = "m"', "arg is not a valid regular expression: "),
    ('command = "EHLO"\narg = ""\nmissing = "m"', "arg must be a regular expression"),
    ('command = "EHLO"\ngreeting = true\nmissing = "m"', "use only one of command, message and greeting"),
    ('greeting = "yes"\nmissing = "m"', "greeting must be true or false"),
    ('closed_by = "nobody"\nmissing = "m"', "closed_by is 'server' or 'client'"),
    ('closed_by = "server"\nreply = 221\nmissing = "m"', "closed_by stands alone (it matches the end of the session)"),
    ('command = "EHLO"\ncount = 0\nmissing = "m"', "count is a whole number from 1 to 50"),
    ('command = "EHLO"\nfault = 1\nmissing = "m"', "fault must be true or false"),
    ('arg = "x"\nmissing = "m"', "says nothing to match: give command, message, greeting, reply, class, fault"),
])
def test_a_bad_expect_is_reported_at_its_line(tmp_path, check, expected):
    text = simple(step(task("[[expect]]\n" + check + "\n")))
    if expected is None:
        write_course(tmp_path, {"01-test.md": text})
        assert validate(tmp_path, play=False)[1] == []
        return
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[[expect]]")
    assert message.startswith(f"[[expect]]: {expected}")


def test_the_line_of_a_bad_expect_is_its_own_not_the_first(tmp_path):
    text = simple(step(task(EHLO_EXPECT + EHLO_EXPECT.replace("reply = 250", 'reply = "OK"'))))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[[expect]]", nth=2)
    assert message == "[[expect]]: an SMTP reply is a three-digit code, not 'OK'"


def test_a_bad_forbid_is_reported_at_its_line(tmp_path):
    text = simple(step(task(EHLO_EXPECT + '[[forbid]]\ncommand = "VRFY"\nmissing = "wrong feedback key"\n')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[[forbid]]")
    assert message.startswith("[[forbid]]: unknown key 'missing' in this check")


@pytest.mark.parametrize("protocol, check, expected", [
    ("pop3", 'command = "RETR"\nreply = 250', "a POP3 reply is a status like '+OK', not 250"),
    ("pop3", 'command = "RETR"\nreply = "OK"', "'OK' is not a POP3 reply (one of: +OK, -ERR)"),
    ("imap", 'command = "LOGIN"\nreply = "+OK"', "'+OK' is not a IMAP reply"),
    ("pop3", 'command = "RETR"\nclass = 2', "class is an SMTP reply's first digit: 2, 3, 4 or 5"),
    ("imap", 'command = "FETCH"\nclass = 2', "class is an SMTP reply's first digit: 2, 3, 4 or 5"),
    ("pop3", "message = true", "message = true is the SMTP message text; this task is not SMTP"),
    ("imap", 'message = true\narg = "x"', "message = true is the SMTP message text; this task is not SMTP"),
])
def test_a_check_that_does_not_fit_the_protocol_is_reported(tmp_path, protocol, check, expected):
    text = simple(step(task(f"[[expect]]\n{check}\nmissing = \"m\"\n", protocol=protocol, solution="NOOP")))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[[expect]]")
    assert message.startswith(f"[[expect]]: {expected}")


def test_replies_of_each_protocol_are_accepted_in_any_case(tmp_path):
    pop3 = task('[[expect]]\ncommand = "USER"\nreply = "+ok"\nmissing = "m"\n', protocol="pop3", solution="USER bob")
    imap = task('[[expect]]\ncommand = "UID FETCH"\nreply = ["ok", "No"]\nmissing = "m"\n', protocol="imap",
                solution="a UID FETCH 1 FLAGS").replace('id = "t1"', 'id = "t2"')
    write_course(tmp_path, {"01-a.md": simple(step(pop3, imap))})
    course, errors = validate(tmp_path, play=False)
    assert errors == []
    t1, t2 = course.get("a", "en").steps[0].tasks
    assert t1.expects[0].reply == ("+OK",)
    assert (t2.expects[0].command, t2.expects[0].reply) == ("UID FETCH", ("OK", "NO"))


@pytest.mark.parametrize("question, expected", [
    ('prompt = "p"\nchoices = ["a", "b", "c"]\nanswer = 4\nexplain = "e"\nwrong = "w"',
     "answer is the number of the right choice, 1 to 3"),
    ('prompt = "p"\nchoices = ["a", "b", "c"]\nanswer = 0\nexplain = "e"\nwrong = "w"',
     "answer is the number of the right choice, 1 to 3"),
    ('prompt = "p"\nchoices = ["a"]\nanswer = 1\nexplain = "e"\nwrong = "w"', "choices must be a list of 2 to 8 texts"),
    ('prompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplain = "e"\nwrong = "w"', "why_wrong is missing: a list of 2 texts"),
    ('prompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplain = "e"\nwhy_wrong = ["w"]',
     "why_wrong must be a list of 2 texts, one per choice"),
    ('prompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplain = "e"\nwhy_wrong = ["right", "w"]',
     "why_wrong[1] is the right choice: leave it"),
    ('prompt = "p"\nchoices = ["a", "b", "c"]\nanswer = 1\nexplain = "e"\nwhy_wrong = ["", "w", " "]',
     "why_wrong[3] is empty: say why choice 3 is not right"),
    ('prompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplain = "e"\nwhy_wrong = ["", "w"]\nhint = "h"',
     "unknown key 'hint' in [question]"),
])
def test_a_bad_question_is_reported_at_its_line(tmp_path, question, expected):
    text = simple(step(fence("task", f'id = "q"\ngoal = "Answer."\nhints = ["A hint."]\n[question]\n{question}')))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[question]")
    assert message.startswith(f"[question]: {expected}")


@pytest.mark.parametrize("protocol, solution, expected", [
    ("pop3", '[solution]\nsteps = [ { send = "USER bob" }, { data = ["x"] } ]',
     "a data step is the message after SMTP's DATA"),
    ("smtp", '[solution]\nsteps = [ { type = "EHLO x" } ]', "a step has exactly one of: send, data, pause_ms"),
    ("smtp", '[solution]\npreset = "nothing"\nsteps = []', "unknown preset 'nothing'"),
    ("smtp", '[solution]\npreset = "pop3_wrong_password"\nsteps = []',
     "preset 'pop3_wrong_password' is for POP3, this task is SMTP"),
    ("smtp", '[solution]\npreset = "greylisting"\nfaults = { rules = [] }\nsteps = []',
     "give preset or faults, not both"),
    ("smtp", '[solution]\nfaults = { rules = [ { stage = "MAIL FROM", reply = 450 } ] }\nsteps = []',
     "faults: "),
    ("smtp", '[solution]\nsteps = [ { send = "EHLO x" } ]\nnote = "x"', "unknown key 'note' in [solution]"),
])
def test_a_bad_solution_is_reported_at_its_line(tmp_path, protocol, solution, expected):
    check = '[[expect]]\ncommand = "NOOP"\nmissing = "m"\n'
    text = simple(step(fence("task", TASK_HEAD.format(protocol=protocol) + solution + "\n" + check)))
    line, message = problem(tmp_path, text)
    assert line == line_of(text, "[solution]")
    assert message.startswith("[solution]: ") and expected in message


def test_a_question_only_task_has_no_solution(tmp_path):
    text = simple(step(fence("task", 'id = "q"\ngoal = "g"\nhints = ["A hint."]\n[solution]\nsteps = []\n[question]\nprompt = "p"\n'
                                     'choices = ["a", "b"]\nanswer = 1\nexplain = "e"\nwhy_wrong = ["", "w"]')))
    line, message = problem(tmp_path, text)
    assert (line, message) == (line_of(text, "[solution]"),
                               "[solution]: a question-only task has no solution to play")


# -------------------------------------------------- playing the solutions
def test_a_solution_that_fails_its_own_check_is_reported_at_the_solution(tmp_path):
    text = simple(step(task(EHLO_EXPECT, solution="HELO client.example")))
    line, message = problem(tmp_path, text, play=True)
    assert line == line_of(text, "[solution]")
    assert message == "task 't1': the reference solution does not pass its own check: No EHLO yet."


def test_a_failing_solution_is_not_played_without_play(tmp_path):
    write_course(tmp_path, {"01-test.md": simple(step(task(EHLO_EXPECT, solution="HELO client.example")))})
    assert validate(tmp_path, play=False)[1] == []


def test_a_solution_matching_a_forbid_is_reported(tmp_path):
    forbid = '[[forbid]]\ncommand = "EHLO"\narg = "client"\npresent = "Not that name."\n'
    line, message = problem(tmp_path, simple(step(task(EHLO_EXPECT + forbid))), play=True)
    assert message.endswith("own check: Not that name.")


def test_a_solution_with_a_preset_and_faults_passes(tmp_path):
    greylisted = ('[[expect]]\ncommand = "RCPT"\nreply = 450\nfault = true\nmissing = "No 450 yet."\n'
                  '[[expect]]\ncommand = "RCPT"\nreply = 250\ncount = 1\nmissing = "No 250."\n')
    steps = ('steps = [ { send = "EHLO a.example" }, { send = "MAIL FROM:<a@b.example>" }, '
             '{ send = "RCPT TO:<bob@example.org>" }, { send = "RCPT TO:<bob@example.org>" } ]\n')
    with_preset = fence("task", TASK_HEAD.format(protocol="smtp") + 'preset = "greylisting"\n'
                        '[solution]\npreset = "greylisting"\n' + steps + greylisted)
    with_faults = fence("task", TASK_HEAD.format(protocol="smtp").replace("t1", "t2") +
                        '[solution]\nfaults = { rules = [ { stage = "RCPT", reply = 450, times = 1 } ] }\n' +
                        steps + greylisted)
    write_course(tmp_path, {"01-a.md": simple(step(with_preset, with_faults))})
    course, errors = validate(tmp_path, play=True)
    assert errors == []
    t1, t2 = course.get("a", "en").steps[0].tasks
    assert (t1.preset, t1.solution.preset) == ("greylisting", "greylisting")
    assert t2.solution.faults == {"rules": [{"stage": "RCPT", "reply": 450, "times": 1}]}


def test_a_solution_with_an_smtp_message_passes(tmp_path):
    body = ('[solution]\nsteps = [ { send = "HELO a.example" }, { send = "MAIL FROM:<a@b.example>" }, '
            '{ send = "RCPT TO:<alice@example.org>" }, { send = "DATA" }, '
            '{ data = ["Subject: Hi", "", ".starts with a dot"] }, { send = "QUIT" } ]\n'
            '[[expect]]\nmessage = true\narg = "^\\\\.starts with a dot$"\nreply = 250\nmissing = "m"\n'
            '[[expect]]\nclosed_by = "server"\nmissing = "m2"\n')
    write_course(tmp_path, {"01-a.md": simple(step(fence("task", TASK_HEAD.format(protocol="smtp") + body)))})
    assert validate(tmp_path, play=True)[1] == []


def test_the_personal_name_placeholder_works_in_arg_regexes(tmp_path):
    body = ('source = "real"\n[solution]\nsteps = [ { send = "EHLO {personal_name}" } ]\n'
            '[[expect]]\ncommand = "EHLO"\narg = "^EHLO {personal_name}$"\nreply = 250\n'
            'missing = "Send EHLO {personal_name} from your own client."\n')
    write_course(tmp_path, {"01-a.md": simple(step(fence("task", TASK_HEAD.format(protocol="smtp") + body)))})
    course, errors = validate(tmp_path, play=True)
    assert errors == []
    t = course.get("a", "en").steps[0].tasks[0]
    assert (t.source, t.expects[0].arg) == ("real", "^EHLO {personal_name}$")


def test_a_solution_that_does_not_send_the_personal_name_fails_its_check(tmp_path):
    body = ('source = "real"\n[solution]\nsteps = [ { send = "EHLO ms-someone" } ]\n'
            '[[expect]]\ncommand = "EHLO"\narg = "{personal_name}"\nmissing = "Use {personal_name}."\n')
    text = simple(step(fence("task", TASK_HEAD.format(protocol="smtp") + body)))
    line, message = problem(tmp_path, text, play=True)
    assert line == line_of(text, "[solution]")
    assert message.endswith("does not pass its own check: Use ms-check1.")


def test_an_arg_regex_with_the_placeholder_is_checked_as_a_regex(tmp_path):
    body = '[[expect]]\ncommand = "EHLO"\narg = "{personal_name}("\nmissing = "m"\n'
    _, message = problem(tmp_path, simple(step(task(body))))
    assert message.startswith("[[expect]]: arg is not a valid regular expression")


# ---------------------------------------------------------- across files
def test_a_lesson_missing_in_one_language_is_reported(tmp_path):
    write_course(tmp_path, {"01-a.md": {"en": simple(step())}, "02-b.md": {"ru": simple(step())}})
    _, errors = validate(tmp_path)
    got = sorted((Path(e.path), e.line, e.message) for e in errors)
    assert got == [
        (tmp_path / "en" / "01-a.md", None, f"this lesson is missing in ru: expected {tmp_path / 'ru' / '01-a.md'}"),
        (tmp_path / "ru" / "02-b.md", None, f"this lesson is missing in en: expected {tmp_path / 'en' / '02-b.md'}"),
    ]
    assert str(errors[0]) == f"{errors[0].path}: {errors[0].message}"  # no line


def test_a_lesson_in_one_language_only_is_left_out_of_the_course(tmp_path):
    write_course(tmp_path, {"01-a.md": {"en": simple(step())}, "02-b.md": simple(step())})
    course, _ = validate(tmp_path)
    assert list(course.lessons) == ["b"]


def test_a_missing_language_folder_is_reported(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "01-a.md").write_text(simple(step()), encoding="utf-8")
    (tmp_path / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    messages = [e.message for e in validate(tmp_path)[1]]
    assert "the ru lessons' folder is missing" in messages


def test_a_missing_lessons_folder_is_reported(tmp_path):
    course, errors = validate(tmp_path / "nothing")
    assert [e.message for e in errors] == ["no such folder"] and course.lessons == {}


def test_languages_with_different_step_counts_are_reported(tmp_path):
    write_course(tmp_path, {"01-a.md": {"en": simple(step() + step(title="Two")), "ru": simple(step())}})
    (error,) = validate(tmp_path)[1]
    assert Path(error.path) == tmp_path / "ru" / "01-a.md" and error.line is None
    assert error.message == ("1 steps, but the en version (01-a.md) has 2: the languages must match step for step")


def test_languages_whose_task_settings_differ_are_reported_at_the_step(tmp_path):
    ru_text = simple(step() + step(task(EHLO_EXPECT.replace("reply = 250", "reply = [250, 251]")), title="Два"))
    en_text = simple(step() + step(task(EHLO_EXPECT), title="Two"))
    write_course(tmp_path, {"01-a.md": {"en": en_text, "ru": ru_text}})
    (error,) = validate(tmp_path, play=False)[1]
    assert Path(error.path) == tmp_path / "ru" / "01-a.md"
    assert error.line == line_of(ru_text, "## Два")
    assert error.message == (f"step 2 differs from the en version (line {line_of(en_text, '## Two')}): "
                             "a widget's or task's settings (not its text) differ between the languages")


@pytest.mark.parametrize("change", [
    lambda t: t.replace('send = "EHLO client.example"', 'send = "EHLO other.example"'),
    lambda t: t.replace('command = "EHLO"', 'command = "HELO"'),
    lambda t: t.replace('missing = "No EHLO yet."', 'missing = "x"\ncount = 2'),
    lambda t: t.replace('protocol = "smtp"\n', 'protocol = "smtp"\nsource = "real"\n'),
])
def test_any_non_text_task_field_must_match_between_languages(tmp_path, change):
    en_text = simple(step(task(EHLO_EXPECT)))
    write_course(tmp_path, {"01-a.md": {"en": en_text, "ru": change(en_text)}})
    (error,) = validate(tmp_path, play=False)[1]
    assert "settings (not its text) differ" in error.message


def test_texts_may_differ_between_languages(tmp_path):
    en_text = simple(step(task(EHLO_EXPECT)))
    ru_text = en_text.replace("Do it.", "Сделайте это.").replace("No EHLO yet.", "EHLO ещё не было.").replace(
        "A step", "Шаг").replace("Some text.", "Немного текста.")
    write_course(tmp_path, {"01-a.md": {"en": en_text, "ru": ru_text}})
    assert validate(tmp_path)[1] == []


def test_languages_with_different_widgets_are_reported(tmp_path):
    widget = fence("widget", 'kind = "live"\nprotocol = "smtp"')
    write_course(tmp_path, {"01-a.md": {"en": simple(step(widget)), "ru": simple(step())}})
    (error,) = validate(tmp_path)[1]
    assert error.message.endswith("widgets/tasks: none; en: widget live")


def test_a_question_answer_must_match_between_languages(tmp_path):
    q = fence("task", 'id = "q"\ngoal = "g"\nhints = ["A hint."]\n[question]\nprompt = "p"\nchoices = ["a", "b"]\nanswer = 1\n'
                      'explain = "e"\nwhy_wrong = ["", "w"]')
    other = q.replace("answer = 1", "answer = 2").replace('["", "w"]', '["w", ""]')
    write_course(tmp_path, {"01-a.md": {"en": simple(step(q)), "ru": simple(step(other))}})
    (error,) = validate(tmp_path)[1]
    assert "settings (not its text) differ" in error.message


def test_two_lessons_with_the_same_number_are_reported(tmp_path):
    write_course(tmp_path, {"03-alpha.md": simple(step()), "03-beta.md": simple(step())})
    errors = validate(tmp_path)[1]
    assert [(Path(e.path).name, e.line, e.message) for e in errors] == [
        ("03-beta.md", None, "lesson number 03 is also used by 'alpha'")]


@pytest.mark.parametrize("name", ["1-intro.md", "01-Intro.md", "01_intro.md", "01-intro-.md", "intro.md",
                                  "001-intro.md"])
def test_a_badly_named_lesson_file_is_reported(tmp_path, name):
    write_course(tmp_path, {name: simple(step())})
    errors = validate(tmp_path)[1]
    assert [(Path(e.path).name, e.line, e.message) for e in errors] == [
        (name, None, "a lesson file is named NN-slug.md (two digits, then lower-case words and '-')")] * 2


def test_a_lesson_file_that_is_not_utf8_is_reported(tmp_path):
    write_course(tmp_path, {"01-a.md": simple(step())})
    (tmp_path / "ru" / "01-a.md").write_bytes(simple(step()).encode("utf-8") + b"\xff\xfe")
    (error,) = validate(tmp_path)[1]
    assert error.message.startswith("not UTF-8 text")


def test_an_error_path_is_relative_to_the_working_folder(tmp_path, monkeypatch):
    write_course(tmp_path / "lessons", {"01-test.md": simple("\n# Title\n\n## Step\n")})
    monkeypatch.chdir(tmp_path)
    assert sorted(str(e) for e in validate(Path("lessons"))[1]) == [
        "lessons/en/01-test.md:7: no level-1 heading in a lesson (its title is in the front matter)",
        "lessons/ru/01-test.md:7: no level-1 heading in a lesson (its title is in the front matter)"]
    assert isinstance(validate("lessons")[1][0], LessonError)


# ---------------------------------------------------------------- glossary
def glossary_error(tmp_path, glossary: str) -> LessonError:
    write_course(tmp_path, {"01-a.md": simple(step())}, glossary=glossary)
    (error,) = validate(tmp_path)[1]
    assert Path(error.path) == tmp_path / "glossary.toml"
    return error


def test_a_duplicate_glossary_id_is_reported_at_the_second_term(tmp_path):
    glossary = GLOSSARY + GLOSSARY.split("\n\n")[0] + "\n"
    error = glossary_error(tmp_path, glossary)
    assert error.line == line_of(glossary, "[[term]]", nth=3)
    assert error.message == "[[term]]: term 'reply' appears twice"


def test_a_glossary_definition_without_russian_is_reported_at_its_term(tmp_path):
    glossary = GLOSSARY.replace('{ en = "The server\'s first reply.", ru = "Первый ответ сервера." }',
                                '{ en = "The server\'s first reply." }')
    error = glossary_error(tmp_path, glossary)
    assert error.line == line_of(glossary, "[[term]]", nth=2)
    assert error.message == '[[term]]: definition must be { en = "...", ru = "..." }'


@pytest.mark.parametrize("change, expected", [
    (lambda g: g.replace('id = "greeting"', 'id = "Greeting"'),
     "[[term]]: id must be lower-case letters, digits and '-', not 'Greeting'"),
    (lambda g: g.replace('en = "greeting"\n', ''), "[[term]]: en is missing"),
    (lambda g: g.replace('note = { en = "The lecture says hello.", ru', 'note = { en = "", ru'),
     '[[term]]: note must be { en = "...", ru = "..." }'),
    (lambda g: g.replace('rfc = ', 'page = '), "[[term]]: unknown key 'page' in a term"),
])
def test_a_bad_glossary_term_is_reported(tmp_path, change, expected):
    assert glossary_error(tmp_path, change(GLOSSARY)).message.startswith(expected)


def test_a_missing_glossary_is_reported(tmp_path):
    write_course(tmp_path, {"01-a.md": simple(step())}, glossary=None)
    (error,) = validate(tmp_path)[1]
    assert (Path(error.path).name, error.line, error.message) == ("glossary.toml", None, "the glossary is missing")


def test_bad_toml_in_the_glossary_is_reported_at_its_line(tmp_path):
    glossary = GLOSSARY.replace('rfc = "RFC 5321 4.2"', 'rfc = RFC 5321')
    error = glossary_error(tmp_path, glossary)
    assert error.line == line_of(glossary, "rfc = RFC") and error.message.startswith("not valid TOML: ")


def test_a_glossary_that_is_not_a_list_of_terms_is_reported(tmp_path):
    error = glossary_error(tmp_path, 'reply = "ответ"\n')
    assert (error.line, error.message) == (1, "the glossary is a list of [[term]] tables")


# --------------------------------------------------------------------- CLI
def test_cli_prints_each_problem_as_file_line_message_and_exits_1(tmp_path, monkeypatch, capsys):
    text = simple(step(fence("widget", 'kind = "consol"\nprotocol = "smtp"')))
    write_course(tmp_path / "lessons", {"03-x.md": text})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lessons", "check", "lessons"]) == 1
    out, err = capsys.readouterr()
    line = line_of(text, 'kind = "consol"')
    kinds = "scenario, console, faults, journey, mail, codes, live"
    assert err.splitlines() == [
        f"lessons/en/03-x.md:{line}: unknown widget kind 'consol' (one of: {kinds})",
        f"lessons/ru/03-x.md:{line}: unknown widget kind 'consol' (one of: {kinds})",
        "2 problems found."]
    assert out == ""


def test_cli_speaks_the_terminals_language(tmp_path, monkeypatch, capsys):
    text = simple(step(fence("widget", 'kind = "consol"\nprotocol = "smtp"')))
    write_course(tmp_path / "lessons", {"03-x.md": text})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAILSIM_LANG", "ru_RU.UTF-8")
    assert cli.main(["lessons", "check", "lessons"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "Найдено 2 ошибки."


def test_cli_exits_0_with_a_summary_on_a_valid_folder(tmp_path, capsys):
    write_course(tmp_path, {"01-greetings.md": {"en": valid_lesson("en"), "ru": valid_lesson("ru")},
                            "02-more.md": simple(step())})
    assert cli.main(["lessons", "check", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == "4 lesson files (2 lessons), 4 tasks and 2 glossary terms: all valid.\n"


def test_cli_plays_solutions_unless_no_play(tmp_path, capsys):
    text = simple(step(task(EHLO_EXPECT, solution="HELO client.example")))
    write_course(tmp_path, {"01-a.md": text})
    assert cli.main(["lessons", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'en' / '01-a.md'}:{line_of(text, '[solution]')}: task 't1': the reference solution does " \
           "not pass its own check: No EHLO yet." in err.splitlines()
    assert cli.main(["lessons", "check", "--no-play", str(tmp_path)]) == 0
    assert "all valid" in capsys.readouterr().out


def test_cli_runs_as_a_module(tmp_path):
    import subprocess
    import sys
    write_course(tmp_path, {"01-a.md": simple("\nno step\n")})
    done = subprocess.run([sys.executable, "-m", "simulator", "lessons", "check", "--no-play", str(tmp_path)],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 1
    assert f"{tmp_path / 'en' / '01-a.md'}:7: text before the first step" in done.stderr


# -------------------------------------------------------- the shipped course
def shipped_files(lang: str) -> list[str]:
    return sorted(p.name for p in (DEFAULT_DIR / lang).glob("*.md"))


def test_the_shipped_course_is_valid():
    """Every problem of lessons/ (parsing, languages, glossary, reference solutions), all listed on failure."""
    course, errors = validate()
    assert not errors, f"{len(errors)} problem(s) in the shipped lessons:\n" + "\n".join(map(str, errors))
    assert course.lessons and course.glossary


def test_every_shipped_lesson_exists_in_both_languages():
    assert shipped_files("en") == shipped_files("ru"), (
        f"only in en: {sorted(set(shipped_files('en')) - set(shipped_files('ru')))}; "
        f"only in ru: {sorted(set(shipped_files('ru')) - set(shipped_files('en')))}")


def test_the_shipped_course_has_lessons_1_to_12():
    numbers = sorted(int(name[:2]) for name in shipped_files("en"))
    assert numbers == list(range(1, 13)), f"lesson numbers present: {numbers}"


def test_load_course_reads_the_shipped_lessons_by_default():
    course = load_course()
    for _slug, by_lang in course.lessons.items():
        assert set(by_lang) == set(LANGUAGES)
        assert all(lesson.path.parent.parent == DEFAULT_DIR for lesson in by_lang.values())


def test_an_arg_on_a_greeting_is_refused_since_it_could_never_match(tmp_path):
    text = simple(step(task('[[expect]]\ngreeting = true\narg = "x"\nmissing = "No greeting."\n')))
    line, message = problem(tmp_path, text)
    assert "greeting has no command" in message
    assert line == line_of(text, "[[expect]]")


def test_solution_faults_for_another_protocol_are_refused(tmp_path):
    body = ('[solution]\nfaults = { protocol = "pop3", rules = [] }\nsteps = [ { send = "EHLO x" } ]\n'
            + EHLO_EXPECT)
    text = simple(step(fence("task", TASK_HEAD.format(protocol="smtp") + body)))
    line, message = problem(tmp_path, text)
    assert "faults are for POP3" in message
    assert line == line_of(text, "[solution]")
