"""Every JSON document kodos reads — facts, saved plans, generation records, the index — is
read by one reader (`kodos.system.jsonfile`): damaged or hostile ones end in one located message and
exit status 1, never an internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kodos.state.index import INDEX_PATH, read_index
from kodos.system.jsonfile import MAX_DOCUMENT_BYTES, FileFormatError

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "examples" / "minimal"


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


def failure(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.stderr


# ---- damages any document can have -----------------------------------------------------------


def write_text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


def too_large(path: Path) -> None:
    with path.open("wb") as stream:
        stream.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no disk used


def fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def directory(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deep-array": (
        write_text("[" * 100_000 + "]" * 100_000),
        "nested deeper than 64 levels; refusing it",
    ),
    "deep-inside": (
        write_text('{"notes": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001),
        "nested deeper than 64 levels; refusing it",
    ),
    "long-number": (
        write_text('{"format_version": ' + "9" * 5000 + "}"),
        "a number of 5000 digits (at most 40); refusing it",
    ),
    "negative-long-number": (
        write_text('{"a": [-' + "1" * 4301 + "]}"),
        "a number of 4301 digits (at most 40); refusing it",
    ),
    "nan": (write_text('{"a": NaN}'), "NaN is not a JSON number; refusing it"),
    "infinity": (write_text("[-Infinity]"), "-Infinity is not a JSON number; refusing it"),
    "not-utf8": (lambda p: p.write_bytes(b'{"a": "\xff"}'), "cannot read: not UTF-8 (byte 7)"),
    "too-large": (too_large, "cannot read: larger than 64 MiB"),
    "fifo": (fifo, "cannot read: not a regular file"),
    "directory": (directory, "cannot read: not a regular file"),
    "not-an-object": (
        write_text('"a string"'),
        "(top level): Input should be a valid dictionary or instance of {model}",
    ),
}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A valid facts file and saved plan, as kodos writes them."""
    work = tmp_path_factory.mktemp("documents")
    (work / "root").mkdir()
    facts, plan = work / "facts.json", work / "plan.json"
    assert kodos("facts", "--root", work / "root", "--out", facts).returncode == 0
    done = kodos("plan", "-c", MINIMAL, "--facts", facts, "--out", plan)
    assert done.returncode == 0, done.stderr
    return {"facts": facts.read_text(), "plan": plan.read_text()}


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGES)
def test_a_damaged_facts_file(damage: str, tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("{}")
    make, message = DAMAGES[damage]
    make(path)

    done = kodos("plan", "-c", MINIMAL, "--facts", path)

    assert failure(done) == f"error: {path}: {message.format(model='Facts')}\n"


@pytest.mark.parametrize("command", ["show", "apply"])
@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGES)
def test_a_damaged_saved_plan(damage: str, command: str, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{}")
    make, message = DAMAGES[damage]
    make(path)

    done = kodos(command, path, "--root", tmp_path) if command == "apply" else kodos("show", path)

    assert failure(done) == f"error: {path}: {message.format(model='Plan')}\n"


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGES)
def test_a_damaged_generation_record(damage: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    record = root / "var/lib/kodos/generation.json"
    record.parent.mkdir(parents=True)
    record.write_text("{}")
    make, message = DAMAGES[damage]
    make(record)

    done = kodos("plan", "-c", MINIMAL, "--root", root)

    assert failure(done) == f"error: {record}: {message.format(model='GenerationRecord')}\n"


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGES)
def test_a_damaged_index(damage: str, tmp_path: Path) -> None:
    index = tmp_path / INDEX_PATH
    index.parent.mkdir(parents=True)
    index.write_text("{}")
    make, message = DAMAGES[damage]
    make(index)

    with pytest.raises(FileFormatError) as caught:
        read_index(tmp_path)

    assert str(caught.value) == f"{index}: {message.format(model='Index')}"


# ---- damages of each document's own fields -----------------------------------------------------


def edited(text: str, edit: Callable[[dict[str, object]], None]) -> str:
    document = json.loads(text)
    edit(document)
    return json.dumps(document)


def add_resource(**fact: object) -> Callable[[dict[str, object]], None]:
    return lambda document: document["resources"].append(fact)  # type: ignore[attr-defined]


SAM = {"uid": 1000, "gecos": "", "shell": "/bin/sh", "home": "/home/sam", "groups": []}
NOT_SEALED = "Input should be a valid dictionary or instance of Sealed"
FACT_DAMAGES: dict[str, tuple[Callable[[dict[str, object]], None], list[str]]] = {
    "password-in-plain-text": (
        add_resource(
            address="users.user[sam]",
            attributes={**SAM, "password": "$6$salt$hash"},
            sensitive=["password"],
        ),
        [f"resources.0.attributes.password: {NOT_SEALED}"],
    ),
    "sensitive-version": (
        add_resource(
            address="pacman.package[git]",
            attributes={"version": "2.47.1-1", "reason": "explicit"},
            sensitive=["version"],
        ),
        [f"resources.0.attributes.version: {NOT_SEALED}"],
    ),
    "package-without-version": (
        add_resource(address="pacman.package[git]", attributes={"reason": 5}),
        [
            "resources.0.attributes.version: Field required",
            "resources.0.attributes.reason: Input should be 'explicit' or 'dependency'",
        ],
    ),
    "user-with-text-uid": (
        add_resource(
            address="users.user[sam]",
            attributes={"uid": "1000", "gecos": "", "shell": "/bin/sh", "home": 3, "groups": "x"},
        ),
        [
            "resources.0.attributes.uid: Input should be a valid integer",
            "resources.0.attributes.home: Input should be a valid string",
            "resources.0.attributes.groups: Input should be a valid list",
        ],
    ),
    "file-mode": (
        add_resource(address="files.file[/etc/x]", attributes={"content": None, "mode": "rwx"}),
        ["resources.0.attributes.mode: String should match pattern '^[0-7]{4}$'"],
    ),
    "unknown-attribute": (
        add_resource(address="services.unit[a.service]", attributes={"state": "on", "x": 1}),
        ["resources.0.attributes.x: Extra inputs are not permitted"],
    ),
    "unknown-kind": (
        add_resource(address="pacman.user[x]", attributes={}),
        [
            "resources.0.address: no provider reads pacman.user (known: aur.package, "
            "bootloader.entry, bootloader.loader, files.file, files.symlink, flatpak.app, "
            "flatpak.remote, pacman.mirrorlist, pacman.package, pacman.repository, services.unit, "
            "services.user_unit, users.user)"
        ],
    ),
    "bad-address": (
        add_resource(address="htop", attributes={}),
        ["resources.0.address: not a resource address: 'htop'"],
    ),
    "listed-twice": (
        lambda document: [
            add_resource(address="services.unit[a.service]", attributes={"state": s})(document)
            for s in ("enabled", "disabled")
        ],
        ["resources.1.address: services.unit[a.service] is listed twice"],
    ),
    "attributes-not-an-object": (
        add_resource(address="services.unit[a.service]", attributes=["state"]),
        ["resources.0.attributes: Input should be a valid dictionary"],
    ),
    "scope-not-addresses": (
        lambda document: document.update(scope=["files.file[/etc/hostname]", "hostname"]),
        ["scope.1: not a resource address: 'hostname'"],
    ),
    "scope-a-string": (
        lambda document: document.update(scope="files.file[/etc/hostname]"),
        ["scope: Input should be a valid list"],
    ),
    "groups-a-string": (
        lambda document: document.update(groups="wheel", notes=[1]),
        ["groups: Input should be a valid list", "notes.0: Input should be a valid string"],
    ),
}


@pytest.mark.parametrize("damage", FACT_DAMAGES, ids=FACT_DAMAGES)
def test_facts_of_the_wrong_shape(damage: str, documents: dict[str, str], tmp_path: Path) -> None:
    edit, messages = FACT_DAMAGES[damage]
    path = tmp_path / "facts.json"
    path.write_text(edited(documents["facts"], edit))

    done = kodos("plan", "-c", MINIMAL, "--facts", path)

    assert failure(done) == "".join(f"error: {path}: {message}\n" for message in messages)


def change(**fields: object) -> Callable[[dict[str, object]], None]:
    return lambda document: document["changes"][0].update(fields)  # type: ignore[index]


PLAN_DAMAGES: dict[str, tuple[Callable[[dict[str, object]], None], list[str]]] = {
    "before-a-list": (
        change(action="update", before=[1], changed=["reason"]),
        ["changes.0.before: Input should be a valid dictionary"],
    ),
    "changed-not-names": (
        change(action="update", before={}, changed=[{"x": 1}]),
        ["changes.0.changed.0: Input should be a valid string"],
    ),
    "no-base": (
        lambda document: document.pop("base"),
        ["base: Field required"],
    ),
    "summary-in-words": (
        lambda document: document["summary"].update(add="many"),  # type: ignore[attr-defined]
        ["summary.add: Input should be a valid integer, unable to parse string as an integer"],
    ),
    "config-path-a-number": (
        lambda document: document["config"].update(path=5),  # type: ignore[attr-defined]
        ["config.path: Input should be a valid string"],
    ),
    "changes-an-object": (
        lambda document: document.update(changes={"0": {}}),
        ["changes: Input should be a valid list"],
    ),
}


@pytest.mark.parametrize("command", ["show", "apply"])
@pytest.mark.parametrize("damage", PLAN_DAMAGES, ids=PLAN_DAMAGES)
def test_plans_of_the_wrong_shape(
    damage: str, command: str, documents: dict[str, str], tmp_path: Path
) -> None:
    edit, messages = PLAN_DAMAGES[damage]
    path = tmp_path / "plan.json"
    path.write_text(edited(documents["plan"], edit))

    done = kodos(command, path, "--root", tmp_path) if command == "apply" else kodos("show", path)

    assert failure(done) == "".join(f"error: {path}: {message}\n" for message in messages)


def test_many_problems_are_counted_not_listed(documents: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(edited(documents["facts"], lambda d: d.update(groups=list(range(500)))))

    lines = failure(kodos("plan", "-c", MINIMAL, "--facts", path)).splitlines()

    assert lines[0] == f"error: {path}: groups.0: Input should be a valid string"
    assert lines[19] == f"error: {path}: groups.19: Input should be a valid string"
    assert lines[20:] == [f"error: {path}: and 480 more problems"]
