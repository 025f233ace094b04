"""The JSON schemas of kodos's persisted files (state/*.schema.json) are generated from their
pydantic models by scripts/schemas, and the golden plans are valid plans by that schema."""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / "state"
GOLDEN = REPO / "tests" / "golden"
NAMES = (
    "plan.schema.json",
    "facts.schema.json",
    "generation.schema.json",
    "index.schema.json",
    "home-manifest.schema.json",
)


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    script = runpy.run_path(str(REPO / "scripts" / "schemas"), run_name="kodos_schemas")
    schemas: Callable[[], dict[str, str]] = script["schemas"]
    return schemas()


def load(name: str) -> dict[str, Any]:
    return json.loads((STATE / name).read_text())  # type: ignore[no-any-return]


def test_the_script_makes_every_schema(generated: dict[str, str]) -> None:
    assert sorted(generated) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_schema_is_the_generated_one(generated: dict[str, str], name: str) -> None:
    path = STATE / name
    committed = path.read_text() if path.exists() else None

    assert committed == generated[name], (
        f"state/{name} is not what its pydantic model generates: run scripts/schemas "
        "and commit the result"
    )


@pytest.mark.parametrize("name", NAMES)
def test_schemas_are_valid_and_deterministic(generated: dict[str, str], name: str) -> None:
    schema = load(name)

    Draft202012Validator.check_schema(schema)
    assert (
        generated[name] == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    version = schema["properties"]["format_version"]
    if name == "index.schema.json":  # format 2 is written, format 1 still read
        assert (version["enum"], version["default"]) == (["1", "2"], "2")
    elif name == "plan.schema.json":  # format 2: reasons as values; format 1 is refused
        assert version["const"] == "2"
    else:
        assert version["const"] == "1"


GOLDEN_PLANS = sorted(GOLDEN.glob("*/*.json"))


def test_there_are_golden_plans() -> None:
    assert len(GOLDEN_PLANS) >= 5


@pytest.mark.parametrize("path", GOLDEN_PLANS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_plans_are_valid_plans(path: Path) -> None:
    validator = Draft202012Validator(load("plan.schema.json"))

    errors = [
        f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
        for e in validator.iter_errors(json.loads(path.read_text()))
    ]
    assert errors == []


def test_the_schemas_reject_what_the_models_reject() -> None:
    validator = Draft202012Validator(load("plan.schema.json"))
    plan = json.loads((GOLDEN / "minimal" / "empty.json").read_text())
    plan["changes"][0]["action"] = "creat"
    plan["surplus"] = True

    messages = sorted(e.message for e in validator.iter_errors(plan))
    assert messages == [
        "'creat' is not one of ['create', 'update', 'delete', 'replace']",
        "Additional properties are not allowed ('surplus' was unexpected)",
    ]
