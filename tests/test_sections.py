"""kodos.config.sections, the engine under the configuration model: what a section is (frozen,
its defaults its own, the keys it was given) and the shape of the problems it reports, which
kodos.config.errors phrases (tests/test_model.py holds the phrased messages)."""

from __future__ import annotations

import copy
import pickle
from typing import Annotated, Any, Literal

import pytest

from kodos.config.fields import (
    AfterValidator,
    CustomError,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from kodos.config.sections import Section, prepare


def _no_x(value: str) -> str:
    if "x" in value:
        raise CustomError("no_x", "{value} holds an x", {"value": repr(value)})
    return value


class Leaf(Section):
    kind: Literal["leaf"]
    name: Annotated[str, AfterValidator(_no_x)] = "a"
    tags: list[str] = []


class Other(Section):
    kind: Literal["other"]
    count: Annotated[int, Field(ge=0)] = 0


class Tree(Section):
    """A section holding others."""

    leaves: dict[str, Annotated[Leaf | Other, Field(discriminator="kind")]] = {}
    secret: SecretStr | None = None
    first: Leaf | None = None

    @model_validator(mode="after")
    def _not_both(self) -> Tree:
        if self.secret is not None and self.first is not None:
            raise ValueError("secret and first exclude each other")
        return self


def problems(data: Any) -> list[tuple[str, tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        Tree.model_validate(data)
    return [(e["type"], e["loc"], e["msg"]) for e in raised.value.errors()]


def test_a_section_is_frozen_and_its_defaults_are_its_own() -> None:
    one, two = Leaf(kind="leaf"), Leaf.model_validate({"kind": "leaf"})
    assert one == two and one.tags is not two.tags
    with pytest.raises(AttributeError, match="Leaf is frozen: name cannot be set"):
        one.name = "b"  # type: ignore[misc]


def test_a_section_copies_and_pickles_as_it_was_built() -> None:
    tree = Tree.model_validate({"leaves": {"l": {"kind": "leaf"}}, "secret": "s"})
    for copied in (copy.copy(tree), copy.deepcopy(tree), pickle.loads(pickle.dumps(tree))):
        assert copied == tree and copied.model_fields_set == {"leaves", "secret"}


def test_a_section_knows_the_keys_it_was_given_and_dumps_only_those() -> None:
    tree = Tree.model_validate({"leaves": {"l": {"kind": "leaf", "tags": ["t"]}}})
    assert tree.model_fields_set == {"leaves"}
    assert tree.model_dump(exclude_unset=True) == {"leaves": {"l": {"kind": "leaf", "tags": ["t"]}}}
    assert tree.model_dump()["secret"] is None


def test_a_secret_is_never_shown() -> None:
    tree = Tree.model_validate({"secret": "hunter2"})
    assert tree.secret is not None and tree.secret.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(tree) and "hunter2" not in str(tree.secret)


def test_every_problem_is_reported_with_its_place_in_key_order() -> None:
    assert problems(
        {
            "leaves": {
                "a": {"kind": "leaf", "name": "x", "tags": [1]},
                "b": {"kind": "other", "count": -1},
                "c": {"kind": "tree"},
                "d": "leaf",
                "e": {},
            },
            "first": {"kind": "leaf", 1: "one"},
            "nope": True,
        }
    ) == [
        ("no_x", ("leaves", "a", "leaf", "name"), "'x' holds an x"),
        ("string_type", ("leaves", "a", "leaf", "tags", 0), "Input should be a valid string"),
        (
            "greater_than_equal",
            ("leaves", "b", "other", "count"),
            "Input should be greater than or equal to 0",
        ),
        (
            "union_tag_invalid",
            ("leaves", "c"),
            "Input tag 'tree' found using 'kind' does not match any of the expected tags: "
            "'leaf', 'other'",
        ),
        (
            "model_attributes_type",
            ("leaves", "d"),
            "Input should be a valid dictionary or object to extract fields from",
        ),
        (
            "union_tag_not_found",
            ("leaves", "e"),
            "Unable to extract tag using discriminator 'kind'",
        ),
        ("invalid_key", ("first", 1), "Keys should be strings"),
        ("extra_forbidden", ("nope",), "Extra inputs are not permitted"),
    ]


def test_a_section_check_runs_once_its_keys_are_right() -> None:
    both = {"secret": "s", "first": {"kind": "leaf"}}
    assert problems(both) == [
        ("value_error", (), "Value error, secret and first exclude each other")
    ]
    assert problems({**both, "first": {"kind": "leaf", "name": "x"}})[0][0] == "no_x"


def test_prepare_builds_every_held_section_s_checks() -> None:
    class Fresh(Section):
        held: dict[str, Leaf] = {}

    prepare(Fresh)
    assert Fresh._checkers is not None and Leaf._checkers is not None
