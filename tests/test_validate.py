"""The shared checks of the hand-written files: paths, each check's yes and no, raised and collected errors."""
from __future__ import annotations

import math
import re

import pytest

from simulator.validate import Checker, Invalid, is_int, join_path, type_name


class Stop(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def raised(check_call) -> tuple[str, str]:
    """(path, message) of the problem a raising checker stops at."""
    with pytest.raises(Invalid) as caught:
        check_call(Checker())
    return caught.value.path, caught.value.message


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize("base, key, path", [
    ("", "seed", "seed"),
    ("", 0, "[0]"),
    ("rules", 2, "rules[2]"),
    ("rules[2]", "reply", "rules[2].reply"),
    ("lists.staff.members", 1, "lists.staff.members[1]"),
    ("users", "Bad Name", "users.Bad Name"),
])
def test_join_path_builds_json_paths(base, key, path):
    assert join_path(base, key) == path


def test_a_path_of_paths_reads_like_the_users_file():
    path = join_path(join_path(join_path("", "rules"), 2), "reply")
    assert path == "rules[2].reply"


@pytest.mark.parametrize("value, name", [
    (None, "null"), (True, "a boolean"), (3, "a number"), (2.5, "a number"), ("x", "a string"),
    ([], "a list"), ({}, "an object"), ((1,), "tuple"),
])
def test_type_name_says_what_a_value_is(value, name):
    assert type_name(value) == name


def test_a_boolean_is_not_an_integer():
    assert is_int(0) and is_int(-3)
    assert not is_int(True) and not is_int(False) and not is_int(1.0)


# ------------------------------------------------------------------ raised or collected


def test_a_checker_without_fail_raises_invalid_with_path_and_message():
    with pytest.raises(Invalid) as caught:
        Checker().integer("x", "rules[0].times", 0)
    assert caught.value.path == "rules[0].times"
    assert caught.value.message == "must be a whole number 0 or more, not 'x'"
    assert str(caught.value) == "rules[0].times: must be a whole number 0 or more, not 'x'"


def test_raising_uses_the_validators_own_error_type():
    check = Checker.raising(Stop)
    with pytest.raises(Stop) as caught:
        check.obj([], "plan")
    assert (caught.value.path, caught.value.message) == ("plan", "must be an object, not a list")


def test_a_collecting_checker_reports_every_problem_and_goes_on():
    errors: list[tuple[str, str]] = []
    check = Checker(lambda path, message: errors.append((path, message)))
    assert check.only({"stage": 1, "colour": 2, "size": 3}, "rules[0]", ("stage",)) is None
    assert check.integer(True, "seed", 0) is None
    assert [path for path, _ in errors] == ["rules[0].colour", "rules[0].size", "seed"]
    assert check.failures == 3


def test_a_good_value_comes_back_and_reports_nothing():
    errors: list = []
    check = Checker(lambda path, message: errors.append((path, message)))
    assert check.text("hi", "note") == "hi"
    assert check.integer(5, "n", 0, 10) == 5
    assert check.obj({"a": 1}, "") == {"a": 1}
    assert errors == [] and check.failures == 0


def test_report_passes_a_domain_checks_own_message_unchanged():
    errors: list = []
    check = Checker(lambda path, message: errors.append((path, message)))
    check.report("rules[1].reply", "{not a template} 421 is not in the catalogue")
    assert errors == [("rules[1].reply", "{not a template} 421 is not in the catalogue")]
    assert check.failures == 1


def test_a_message_is_the_validators_own_wording_with_fields():
    assert raised(lambda c: c.integer(7, "count", 1, 5, message="{path} is a whole number from {lo} to {hi}")) == \
        ("count", "count is a whole number from 1 to 5")
    assert raised(lambda c: c.obj(3, "plan", message='must be an object like {{"seed": 0}}, not {type}')) == \
        ("plan", 'must be an object like {"seed": 0}, not a number')


def test_a_brace_in_the_checked_value_does_not_break_the_message():
    assert raised(lambda c: c.one_of("{x}", "kind", ("a", "b"))) == ("kind", "must be one of: a, b, not '{x}'")


# ------------------------------------------------------------------ objects


def test_obj_accepts_a_dict_and_rejects_the_rest():
    assert Checker().obj({}, "x") == {}
    assert raised(lambda c: c.obj(None, "users")) == ("users", "must be an object, not null")


def test_only_names_the_unknown_key_by_its_path():
    assert Checker().only({"a": 1}, "x", ("a", "b")) == {"a": 1}
    assert raised(lambda c: c.only({"a": 1, "zz": 2}, "rules[0]", ("a", "b"))) == \
        ("rules[0].zz", "unknown field; allowed fields: a, b")
    assert raised(lambda c: c.only({"zz": 2}, "", ("a",))) == ("zz", "unknown field; allowed fields: a")


def test_only_suggests_the_key_spelled_differently():
    assert raised(lambda c: c.only({"delayMs": 5}, "rules[0]", ("stage", "delay_ms"))) == \
        ("rules[0].delayMs", "unknown field (did you mean 'delay_ms'?); allowed fields: stage, delay_ms")


def test_only_can_report_at_the_object_in_the_order_given():
    assert raised(lambda c: c.only(sorted({"zz": 1, "bb": 2}), "top level", ("a",), at_key=False,
                                   message="unknown field {key!r} (allowed: {allowed})")) == \
        ("top level", "unknown field 'bb' (allowed: a)")


def test_required_names_each_missing_key():
    assert Checker().required({"a": 1}, "", ("a",)) == {"a": 1}
    assert raised(lambda c: c.required({}, "top level", ("domain",))) == ("top level", "missing field 'domain'")
    assert raised(lambda c: c.required({}, "rules[0]", ("stage",), at_key=True)) == \
        ("rules[0].stage", "missing field 'stage'")


# ------------------------------------------------------------------ text


def test_text_accepts_a_string_and_rejects_other_types():
    assert Checker().text("x", "t") == "x"
    assert raised(lambda c: c.text(5, "note")) == ("note", "must be a string, not a number")


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_text_is_not_empty_or_blank_by_default(value):
    assert raised(lambda c: c.text(value, "goal")) == ("goal", "must not be empty")


def test_text_may_be_blank_but_not_empty():
    assert Checker().text("  ", "match", blank=True) == "  "
    assert raised(lambda c: c.text("", "match", blank=True)) == ("match", "must not be empty")


def test_text_may_be_empty():
    assert Checker().text("", "caption", empty=True) == ""


def test_text_has_a_limit():
    assert Checker().text("abc", "t", limit=3) == "abc"
    assert raised(lambda c: c.text("abcd", "note", limit=3)) == ("note", "at most 3 characters, got 4")


def test_one_text_message_covers_every_way_unless_a_specific_one_is_given():
    same = "{path} must be non-empty text"
    assert raised(lambda c: c.text(1, "goal", message=same))[1] == "goal must be non-empty text"
    assert raised(lambda c: c.text(" ", "goal", message=same))[1] == "goal must be non-empty text"
    assert raised(lambda c: c.text("abcd", "goal", limit=2, message=same,
                                   long_message="{path} is longer than {limit} characters"))[1] == \
        "goal is longer than 2 characters"


# ------------------------------------------------------------------ pattern


def test_pattern_matches_the_whole_string():
    check = Checker()
    assert check.pattern("hop-or-end", "id", r"[a-z]+(?:-[a-z]+)*") == "hop-or-end"
    for bad in ("Hop", "hop-", "hop\n", 7, None):
        path, message = raised(lambda c, bad=bad: c.pattern(bad, "id", r"[a-z]+(?:-[a-z]+)*", "an id"))
        assert (path, message) == ("id", f"must be an id, not {bad!r}")


def test_pattern_takes_a_compiled_regex_and_a_limit():
    regex = re.compile(r"^[a-z]+$")
    assert Checker().pattern("abc", "id", regex, limit=3) == "abc"
    assert raised(lambda c: c.pattern("abcd", "id", regex, limit=3)) == ("id", "at most 3 characters, got 4")


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("value", [True, False, 1.0, "1", None, [1]])
def test_integer_rejects_booleans_and_non_integers(value):
    path, message = raised(lambda c: c.integer(value, "times", 0))
    assert path == "times" and message == f"must be a whole number 0 or more, not {value!r}"


@pytest.mark.parametrize("lo, hi, value, message", [
    (0, 10, 11, "must be a whole number from 0 to 10, not 11"),
    (0, None, -1, "must be a whole number 0 or more, not -1"),
    (None, 5, 6, "must be a whole number 5 or less, not 6"),
    (None, None, "x", "must be a whole number, not 'x'"),
])
def test_integer_range_and_its_default_wording(lo, hi, value, message):
    assert raised(lambda c: c.integer(value, "n", lo, hi)) == ("n", message)


def test_integer_accepts_the_ends_of_its_range():
    assert Checker().integer(0, "n", 0, 10) == 0 and Checker().integer(10, "n", 0, 10) == 10


@pytest.mark.parametrize("value", [True, math.nan, math.inf, -0.1, 1.5, "0.5"])
def test_number_rejects_booleans_non_finite_and_out_of_range(value):
    path, message = raised(lambda c: c.number(value, "probability", 0, 1))
    assert path == "probability" and message == f"must be a number from 0 to 1, not {value!r}"


def test_number_accepts_whole_and_fractional():
    assert Checker().number(1, "p", 0, 1) == 1 and Checker().number(0.25, "p", 0, 1) == 0.25


# ------------------------------------------------------------------ boolean, one_of


def test_boolean_accepts_only_true_and_false():
    assert Checker().boolean(False, "silent") is False
    assert raised(lambda c: c.boolean(0, "silent")) == ("silent", "must be true or false, not 0")


def test_one_of_lists_the_choices():
    assert Checker().one_of("pop3", "protocol", ("smtp", "pop3")) == "pop3"
    assert raised(lambda c: c.one_of("x", "protocol", ("smtp", "pop3"))) == \
        ("protocol", "must be one of: smtp, pop3, not 'x'")


def test_one_of_does_not_take_a_boolean_for_a_number():
    assert Checker().one_of(2, "class", (2, 3, 4, 5)) == 2
    assert raised(lambda c: c.one_of(True, "class", (0, 1)))[0] == "class"
    assert Checker().one_of(True, "flag", (True, "auto")) is True


def test_one_of_copes_with_unhashable_values_and_dict_choices():
    assert raised(lambda c: c.one_of(["x"], "kind", {"a": 1, "b": 2})) == ("kind", "must be one of: a, b, not ['x']")


# ------------------------------------------------------------------ lists


def test_list_of_checks_each_item_at_its_path():
    seen = []
    check = Checker()
    out = check.list_of(["a", "b"], "steps", lambda item, path: seen.append(path) or item.upper())
    assert out == ["A", "B"] and seen == ["steps[0]", "steps[1]"]
    assert raised(lambda c: c.list_of(["ok", 5], "hints", lambda item, path: c.text(item, path))) == \
        ("hints[1]", "must be a string, not a number")


def test_list_of_rejects_a_non_list_and_counts_its_items():
    assert raised(lambda c: c.list_of({}, "rules")) == ("rules", "must be a list, not an object")
    assert raised(lambda c: c.list_of([], "steps", lo=1)) == ("steps", "at least 1 items, got 0")
    assert raised(lambda c: c.list_of([1, 2, 3], "rules", hi=2)) == ("rules", "at most 2 items, got 3")


def test_list_of_one_message_for_all_or_one_for_each():
    same = "must be a non-empty list of steps"
    assert raised(lambda c: c.list_of("x", "steps", lo=1, message=same))[1] == same
    assert raised(lambda c: c.list_of([], "steps", lo=1, message=same))[1] == same
    assert raised(lambda c: c.list_of([1, 2], "steps", lo=1, hi=1, message=same,
                                      long_message="at most {hi} steps"))[1] == "at most 1 steps"


def test_a_collecting_list_check_returns_none_and_checks_no_item():
    errors: list = []
    check = Checker(lambda path, message: errors.append((path, message)))
    assert check.list_of("x", "codes", lambda item, path: pytest.fail("not called"), message="{path} must be a list") \
        is None
    assert errors == [("codes", "codes must be a list")]
