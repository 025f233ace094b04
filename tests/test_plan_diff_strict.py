"""Which attributes changed is decided strictly (kodos's own comparison; deepdiff did it before
and the plans must read the same): a change of type is a change, containers compare element by
element, sets by members, and only the attributes that differ are named."""

from __future__ import annotations

import pytest

from kodos.plan.diff import diff, differs
from kodos.plan.model import Action
from kodos.resources import Resource, ResourceSet

SAME = [
    (1, 1),
    ("a", "a"),
    (None, None),
    ([1, "a"], [1, "a"]),
    ((1, 2), (1, 2)),
    ({"a": [1, {"x": "y"}]}, {"a": [1, {"x": "y"}]}),
    ({1, 2}, {2, 1}),
    (frozenset({"a"}), frozenset({"a"})),
]
DIFFERENT = [
    (1, 1.0),  # equal by ==, but the plan would show another value
    (True, 1),
    (0, False),
    (None, ""),
    ([], ()),
    ([1, 2], [2, 1]),  # order is meaningful (kernel options, groups as listed)
    ([1], [1, 1]),
    ([[1]], [[1.0]]),
    ({"a": 1}, {"b": 1}),
    ({"a": 1}, {"a": 1, "b": 2}),
    ({"a": [1, {"x": "y"}]}, {"a": [1, {"x": "z"}]}),
    ({1, 2}, {1}),
    ({1}, frozenset({1})),
]


@pytest.mark.parametrize(("before", "after"), SAME, ids=repr)
def test_equal_values_do_not_differ(before: object, after: object) -> None:
    assert not differs(before, after)
    assert not differs(after, before)


@pytest.mark.parametrize(("before", "after"), DIFFERENT, ids=repr)
def test_values_of_another_type_or_content_differ(before: object, after: object) -> None:
    assert differs(before, after)
    assert differs(after, before)


def test_only_the_attributes_that_differ_are_named_in_order() -> None:
    attributes = {"groups": ["wheel", "audio"], "shell": "/bin/bash", "uid": 1000, "home": "/h"}
    have = Resource("users", "user", "demo", attributes)
    want = Resource(
        "users",
        "user",
        "demo",
        {"uid": 1000.0, "groups": ["audio", "wheel"], "shell": "/bin/zsh"},
    )
    [change] = diff(ResourceSet([want]), ResourceSet([have]), frozenset())
    # 1000.0 is the uid 1000 by meaning (`same_value`): not a change.
    assert (change.action, change.changed) == (Action.UPDATE, ["groups", "shell"])
    assert change.after == {**attributes, "groups": ["audio", "wheel"], "shell": "/bin/zsh"}


def test_an_int_equal_to_a_float_alone_is_no_change() -> None:
    have = Resource("users", "user", "demo", {"uid": 1000})
    want = Resource("users", "user", "demo", {"uid": 1000.0})
    assert diff(ResourceSet([want]), ResourceSet([have]), frozenset()) == []
