"""The generation index (`<top>/kodos/index.json`): its model, helpers, and damaged files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kodos.state.generation import Status
from kodos.state.index import (
    GenerationEntry,
    Index,
    UnknownGeneration,
    generation_subvolume,
    read_highest,
    read_index,
    write_index,
)
from kodos.system.jsonfile import FileFormatError

UUID = "5b1e3c1a-8a7e-4e43-9d6c-7c1f0e2f6a10"
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def entry(gen_id: int, **changes: Any) -> GenerationEntry:
    fields: dict[str, Any] = {
        "id": gen_id,
        "parent": gen_id - 1 if gen_id else None,
        "created": CREATED,
        "status": Status.READY,
        "subvolume": generation_subvolume(gen_id) if gen_id else "@",
        "kernel": "linux",
        "packages": 120 + gen_id,
        "config_digest": f"sha256:{gen_id}" if gen_id else None,
    }
    return GenerationEntry(**{**fields, **changes})


def index(*ids: int) -> Index:
    """An index as `write_index` writes it: remembering its highest number."""
    return Index(filesystem_uuid=UUID, generations=[entry(i) for i in ids], highest_id=max(ids))


def test_a_missing_index_is_none(tmp_path: Path) -> None:
    assert read_index(tmp_path) is None


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    written = index(0, 1, 2)

    write_index(tmp_path, written)

    assert read_index(tmp_path) == written
    data = json.loads((tmp_path / "kodos/index.json").read_text())
    assert data["format_version"] == "2"
    assert data["highest_id"] == 2
    assert data["filesystem_uuid"] == UUID
    assert [g["subvolume"] for g in data["generations"]] == [
        "@",
        "kodos/generations/1",
        "kodos/generations/2",
    ]
    assert data["generations"][1]["status"] == "ready"
    # no temporary file left; the highest number is kept beside the index too
    assert sorted(p.name for p in (tmp_path / "kodos").iterdir()) == [
        "highest-generation",
        "index.json",
    ]
    assert (tmp_path / "kodos/highest-generation").read_text() == "2\n"


def test_rewriting_replaces_the_whole_file(tmp_path: Path) -> None:
    write_index(tmp_path, index(0, 1, 2))
    write_index(tmp_path, index(0, 1))

    assert read_index(tmp_path) == index(0, 1)
    assert read_highest(tmp_path) == 2  # a number once used stays used


def test_numbers_are_never_reused() -> None:
    deleted = index(0, 1, 2, 3).without(3).without(2)

    assert deleted.ids() == [0, 1]
    assert deleted.next_id() == 4
    assert index(0, 1).with_highest(7).next_id() == 8
    assert index(0, 5).with_highest(2).next_id() == 6


def test_an_index_of_format_1_is_read_and_written_as_format_2(tmp_path: Path) -> None:
    data = index(0, 1, 2).model_dump(mode="json")
    data["format_version"] = "1"
    del data["highest_id"]
    for generation in data["generations"]:
        del generation["subvolume_uuid"]
    write_raw(tmp_path, json.dumps(data))

    old = read_index(tmp_path)
    assert old is not None
    assert (old.format_version, old.highest_id, old.next_id()) == ("1", None, 3)
    write_index(tmp_path, old.without(2))  # its first write migrates it
    migrated = json.loads((tmp_path / "kodos/index.json").read_text())
    assert (migrated["format_version"], migrated["highest_id"]) == ("2", 2)
    assert read_index(tmp_path) == index(0, 1).with_highest(2)


def test_helpers() -> None:
    three = index(0, 1, 3)

    assert three.ids() == [0, 1, 3]
    assert three.entry(1).subvolume == "kodos/generations/1"
    assert three.find(2) is None
    assert three.next_id() == 4
    assert Index(filesystem_uuid=UUID).next_id() == 0
    assert three.by_subvolume("/kodos/generations/3") == three.entry(3)
    assert three.by_subvolume("@") == three.entry(0)
    assert three.by_subvolume("@home") is None


def test_with_entry_adds_in_order_and_replaces_by_id() -> None:
    base = index(0, 3)

    added = base.with_entry(entry(1))
    replaced = added.with_entry(entry(3, status=Status.FAILED))

    assert added.ids() == [0, 1, 3]
    assert replaced.entry(3).status is Status.FAILED
    assert base.ids() == [0, 3]  # unchanged: the index is immutable


def test_without() -> None:
    assert index(0, 1, 2).without(1).ids() == [0, 2]


def test_unknown_generation_names_the_known_ones() -> None:
    with pytest.raises(UnknownGeneration) as caught:
        index(0, 1, 2).without(7)

    assert str(caught.value) == "there is no generation 7 (generations: 0, 1, 2)"
    with pytest.raises(UnknownGeneration, match=r"\(generations: none\)"):
        Index(filesystem_uuid=UUID).entry(1)


def write_raw(top: Path, text: str) -> None:
    (top / "kodos").mkdir(exist_ok=True)
    (top / "kodos/index.json").write_text(text)


def problems(top: Path) -> list[str]:
    with pytest.raises(FileFormatError) as caught:
        read_index(top)
    return [str(problem) for problem in caught.value.problems]


def test_not_json(tmp_path: Path) -> None:
    write_raw(tmp_path, '{"format_version": "1",\n')

    assert problems(tmp_path) == [
        f"{tmp_path}/kodos/index.json:2: not valid JSON: Expecting property name enclosed in double quotes"
    ]


def test_a_damaged_field_is_named(tmp_path: Path) -> None:
    data = index(0, 1).model_dump(mode="json")
    data["generations"][1]["status"] = "done"
    data["generations"][0]["packages"] = -1
    write_raw(tmp_path, json.dumps(data))

    assert problems(tmp_path) == [
        f"{tmp_path}/kodos/index.json: generations.0.packages: Input should be greater than or equal to 0",
        f"{tmp_path}/kodos/index.json: generations.1.status: Input should be 'building', 'ready' or 'failed'",
    ]


def test_unknown_keys_and_versions_are_refused(tmp_path: Path) -> None:
    data = index(1).model_dump(mode="json")
    data["format_version"] = "3"
    data["generations"][0]["extra"] = True
    write_raw(tmp_path, json.dumps(data))

    assert problems(tmp_path) == [
        f"{tmp_path}/kodos/index.json: format_version: Input should be '1' or '2'",
        f"{tmp_path}/kodos/index.json: generations.0.extra: Extra inputs are not permitted",
    ]


def test_duplicate_or_unordered_ids_are_refused(tmp_path: Path) -> None:
    data = index(0, 1, 2).model_dump(mode="json")
    data["generations"].reverse()
    write_raw(tmp_path, json.dumps(data))

    assert problems(tmp_path) == [
        f"{tmp_path}/kodos/index.json: generations: Value error, generation ids must be unique "
        "and increasing, got [2, 1, 0]"
    ]


def test_an_absolute_subvolume_is_refused() -> None:
    with pytest.raises(ValueError, match="subvolume"):
        entry(1, subvolume="/kodos/generations/1")


def test_a_written_index_is_valid_by_its_schema(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((Path(__file__).parents[1] / "state/index.schema.json").read_text())
    write_index(tmp_path, index(0, 1, 2))

    document = json.loads((tmp_path / "kodos/index.json").read_text())
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    document["generations"][0]["subvolume"] = "/@"
    assert [e.message for e in Draft202012Validator(schema).iter_errors(document)] == [
        "'/@' does not match '^[^/]'"
    ]
