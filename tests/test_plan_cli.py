"""`kodos plan`, `show` and `facts` as a user runs them: output formats, saved plans, exit
codes, and every kind of bad input answered by one clean located message, exit status 1 and
no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.support.fixtures import NewRoot
from tests.support.mirror import Mirror
from tests.support.sync import mirror_sync_dir

REPO = Path(__file__).resolve().parent.parent
PLAN_SCHEMA = REPO / "state" / "plan.schema.json"
NO_CHANGES = "No changes. The system matches the configuration.\n"


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


def failure(done: subprocess.CompletedProcess[str]) -> str:
    """stderr of a run that must have failed cleanly: exit 1, nothing on stdout, no trace."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return done.stderr


@pytest.fixture(scope="module")
def sync_dir(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mirror_sync_dir(standard_mirror, tmp_path_factory.mktemp("cli-sync"))


@pytest.fixture
def empty_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root


def config(tmp_path: Path, lua: str) -> Path:
    """A configuration directory holding `return { LUA }`."""
    directory = tmp_path / "config"
    directory.mkdir(exist_ok=True)
    (directory / "configuration.lua").write_text(f"return {{ {lua} }}\n")
    return directory


def plan(
    config_path: str | Path, root: Path, sync_dir: Path, *flags: str | Path
) -> subprocess.CompletedProcess[str]:
    return kodos("plan", "-c", config_path, "--root", root, "--sync-dir", sync_dir, *flags)


# ---- output formats and saved plans --------------------------------------------------------


@pytest.mark.system
@pytest.mark.parametrize("example", ["testvm", "desktop", "minimal"])
def test_json_output_is_a_valid_plan(example: str, empty_root: Path, sync_dir: Path) -> None:
    done = plan(f"examples/{example}", empty_root, sync_dir, "--json")

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    validator = Draft202012Validator(json.loads(PLAN_SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(document)] == []
    assert document["format_version"] == "2"
    assert document["summary"]["add"] == len(document["changes"])


@pytest.mark.system
def test_a_saved_plan_shows_as_it_was_printed(
    empty_root: Path, sync_dir: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "testvm.plan.json"
    testvm = REPO / "examples/testvm"  # absolute, as a saved plan names it

    printed = plan(testvm, empty_root, sync_dir, "--out", saved)
    printed_json = plan(testvm, empty_root, sync_dir, "--json")
    shown = kodos("show", saved)
    shown_json = kodos("show", saved, "--json")

    assert printed.returncode == shown.returncode == shown_json.returncode == 0
    assert shown.stdout == printed.stdout
    assert shown_json.stdout == printed_json.stdout
    assert json.loads(saved.read_text()) == json.loads(printed_json.stdout)


@pytest.mark.system
def test_detailed_exitcode(empty_root: Path, sync_dir: Path, tmp_path: Path) -> None:
    nothing = config(tmp_path, "")

    unchanged = plan(nothing, empty_root, sync_dir, "--detailed-exitcode")
    changes = plan("examples/minimal", empty_root, sync_dir, "--detailed-exitcode")
    plain = plan("examples/minimal", empty_root, sync_dir)
    broken = plan(config(tmp_path, 'packages = { "htopp" }'), empty_root, sync_dir,
                  "--detailed-exitcode")  # fmt: skip

    assert (unchanged.returncode, unchanged.stdout.endswith(NO_CHANGES)) == (0, True)
    assert (changes.returncode, changes.stdout.endswith("to destroy.\n")) == (2, True)
    assert (plain.returncode, plain.stdout) == (0, changes.stdout)
    assert broken.returncode == 1


# ---- every expansion descriptor, against the catalog ---------------------------------------

EXPANSIONS = REPO / "lua-lib" / "expansions"


def descriptors(section: str) -> list[str]:
    return sorted(path.stem for path in (EXPANSIONS / section).glob("*.lua"))


def everything(display_manager: str) -> str:
    """A configuration enabling every item kodos ships a descriptor for."""

    def enabled(section: str) -> str:
        return ", ".join(f'["{name}"] = {{ enable = true }}' for name in descriptors(section))

    includes = ", ".join(f'"{name}"' for name in descriptors("boot"))
    return (
        f"hardware = {{ {enabled('hardware')} }}, services = {{ {enabled('services')} }}, "
        f'desktop = {{ display_manager = "{display_manager}", '
        f"desktop_manager = {{ {enabled('desktop')} }} }}, "
        f"boot = {{ loader = {{ include = {{ {includes} }} }} }}, "
        'users = { bob = { extra_groups = { "docker", "libvirt", "scanner" } } }'
    )


@pytest.mark.system
@pytest.mark.parametrize("display_manager", descriptors("display_manager"))
def test_every_descriptor_plans_against_the_catalog(
    display_manager: str, empty_root: Path, sync_dir: Path, tmp_path: Path
) -> None:
    """Every package and unit the descriptors name is in the standard mirror: a descriptor
    added without its packages in tests/support/catalog.py fails here."""
    done = plan(config(tmp_path, everything(display_manager)), empty_root, sync_dir, "--json")

    assert done.returncode == 0, done.stderr
    changes = {c["address"] for c in json.loads(done.stdout)["changes"]}
    assert f"services.unit[{display_manager}.service]" in changes
    assert "bootloader.entry[memtest86+]" in changes


# ---- problems in the configuration, found while planning -----------------------------------

PROBLEMS = {
    "unknown package": (
        'packages = { "htop", "htopp" }',
        'error: packages[2]: no package or group named "htopp" in the repositories (core, '
        'extra); did you mean "htop"?\n',
    ),
    "unknown group member": (
        'desktop = { desktop_manager = { gnome = { enable = true, exclude_packages = { "yelp", '
        '"gnome-tuor" } } } }',
        'error: desktop.desktop_manager.gnome.exclude_packages[2]: "gnome-tuor" is not in the '
        'gnome group; did you mean "gnome-tour"?\n',
    ),
    "unit nobody ships": (
        "services = { htop = { enable = true } }",
        "error: services.htop: no package ships htop.service\n",
    ),
    "unit of a package not configured": (
        'services = { openssh = { enable = true, package = "htop" } }',
        "error: services.openssh: no package of this configuration ships sshd.service\n"
        '  hint: openssh ships it: add "openssh" to packages\n',
    ),
    "group nothing creates": (
        'users = { bob = { extra_groups = { "wheel", "docker" } } }',
        'error: users.bob.extra_groups[2]: no group "docker" on the machine, and nothing in the '
        "configuration creates it\n"
        "  hint: install (or enable) what creates it, or remove it from extra_groups\n",
    ),
}


@pytest.mark.system
@pytest.mark.parametrize("lua, expected", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_configuration_problems_found_by_planning(
    lua: str, expected: str, empty_root: Path, sync_dir: Path, tmp_path: Path
) -> None:
    done = plan(config(tmp_path, lua), empty_root, sync_dir)

    assert failure(done) == expected


@pytest.mark.system
def test_a_group_an_enabled_service_creates_is_fine(
    empty_root: Path, sync_dir: Path, tmp_path: Path
) -> None:
    lua = (
        'services = { docker = { enable = true } }, users = { bob = { extra_groups = { "docker" '
        "} } }"
    )
    done = plan(config(tmp_path, lua), empty_root, sync_dir, "--json")

    assert done.returncode == 0, done.stderr
    assert "services.unit[docker.service]" in {
        c["address"] for c in json.loads(done.stdout)["changes"]
    }


@pytest.mark.system
def test_a_mount_unit_the_configuration_writes_needs_no_package(
    empty_root: Path, sync_dir: Path, tmp_path: Path
) -> None:
    lua = (
        "services = { mounts = { enable = true, mount = { type = 'mount', mounts = { data = "
        "{ type = 'ext4', what = '/dev/vdb1', where = '/mnt/data' } } } } }"
    )
    done = plan(config(tmp_path, lua), empty_root, sync_dir, "--json")

    assert done.returncode == 0, done.stderr
    assert "services.unit[mnt-data.mount]" in {
        c["address"] for c in json.loads(done.stdout)["changes"]
    }


# ---- problems with the machine, the databases and kodos's own files ------------------------


@pytest.mark.system
def test_a_root_that_does_not_exist(sync_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope"

    done = plan("examples/minimal", missing, sync_dir)

    assert failure(done) == f"error: --root {missing}: no such directory\n"


@pytest.mark.system
@pytest.mark.parametrize(
    "desc, message",
    [
        ("", "%NAME% must hold exactly one value, found []"),  # truncated to nothing
        ("%NAME%\nhtop\n", "%VERSION% must hold exactly one value, found []"),  # cut short
    ],
    ids=["empty", "cut short"],
)
def test_a_root_with_a_damaged_pacman_database(
    desc: str, message: str, sync_dir: Path, empty_root: Path
) -> None:
    entry = empty_root / "var/lib/pacman/local/htop-3.3.0-3"
    entry.mkdir(parents=True)
    (entry / "desc").write_text(desc)  # as a crash in the middle of a transaction leaves it

    done = plan("examples/minimal", empty_root, sync_dir)

    assert failure(done) == f"error: {entry}/desc: {message}\n"


def test_a_sync_dir_without_databases(empty_root: Path, tmp_path: Path) -> None:
    done = plan("examples/minimal", empty_root, tmp_path)

    assert (
        failure(done) == f"error: --sync-dir {tmp_path}: no core.db, extra.db in that directory\n"
    )


@pytest.fixture
def facts_file(empty_root: Path, tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    done = kodos("facts", "--root", empty_root, "-c", "examples/minimal", "--out", path)
    assert done.returncode == 0, done.stderr
    return path


def test_facts_without_sync_databases_plan_with_notes(facts_file: Path) -> None:
    done = kodos("plan", "-c", "examples/minimal", "--facts", facts_file)

    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(
        "note: package names were not checked: a facts file holds no sync databases (pass "
        "--sync-dir, or plan with --refresh)\n"
        "note: the packages pacman would pull in as dependencies, their versions and sizes are "
        "not shown: no sync databases\n"
        f"note: planned from the facts in {facts_file}, not from the machine\n"
        "\n"
        "Takes effect when the machine boots the new generation (reboot needed).\n"
        "Plan: 7 to add, 0 to change, 0 to destroy.\n"
    )
    assert done.stdout.startswith(
        f"Plan for examples/minimal/configuration.lua against facts:{facts_file} "
        "(no generation yet)\n"
    )


def break_json(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"', "", 1)  # the third line's key loses its opening quote
    path.write_text("".join(lines))


def test_facts_that_are_not_json(facts_file: Path) -> None:
    break_json(facts_file)

    done = kodos("plan", "-c", "examples/minimal", "--facts", facts_file)

    assert failure(done) == (
        f"error: {facts_file}:3: not valid JSON: Expecting property name enclosed in double "
        "quotes\n"
    )


def test_facts_with_a_wrong_field(facts_file: Path) -> None:
    facts = json.loads(facts_file.read_text())
    facts["groups"] = "wheel"
    facts["resources"] = [{"address": "pacman.package[htop]"}]
    facts_file.write_text(json.dumps(facts))

    done = kodos("plan", "-c", "examples/minimal", "--facts", facts_file)

    assert failure(done) == (
        f"error: {facts_file}: groups: Input should be a valid list\n"
        f"error: {facts_file}: resources.0.attributes: Field required\n"
    )


def test_a_facts_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "facts.json"

    done = kodos("plan", "-c", "examples/minimal", "--facts", missing)

    assert failure(done) == f"error: {missing}: cannot read: no such file or directory\n"


@pytest.fixture
def plan_file(empty_root: Path, sync_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    done = plan("examples/minimal", empty_root, sync_dir, "--out", path)
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.system
def test_show_a_plan_that_is_not_json(plan_file: Path) -> None:
    break_json(plan_file)

    assert failure(kodos("show", plan_file)) == (
        f"error: {plan_file}:3: not valid JSON: Expecting property name enclosed in double quotes\n"
    )


@pytest.mark.system
def test_show_a_plan_with_a_wrong_field(plan_file: Path) -> None:
    saved = json.loads(plan_file.read_text())
    saved["changes"][1]["action"] = "install"
    saved["format_version"] = "3"
    plan_file.write_text(json.dumps(saved))

    assert failure(kodos("show", plan_file, "--json")) == (
        f"error: {plan_file}: format_version: Input should be '2'\n"
        f"error: {plan_file}: changes.1.action: Input should be 'create', 'update', 'delete' "
        "or 'replace'\n"
    )


def as_format_1(plan: dict[str, Any]) -> dict[str, Any]:
    """`plan` as kodos wrote it before format 2: reasons in words."""
    words = {"no_longer_configured": "no longer in the configuration"}
    changes = [{**c, "reason": words.get(c["reason"], c["reason"])} for c in plan["changes"]]
    return {**plan, "format_version": "1", "changes": changes}


OLDER_FORMAT = (
    'format_version: "1" is the plan format of an older kodos; this kodos reads format "2": '
    "make the plan again with kodos plan --out\n"
)


@pytest.mark.system
@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_show_refuses_a_plan_of_format_1(plan_file: Path, flags: list[str]) -> None:
    plan_file.write_text(json.dumps(as_format_1(json.loads(plan_file.read_text()))))

    assert failure(kodos("show", plan_file, *flags)) == f"error: {plan_file}: {OLDER_FORMAT}"


@pytest.mark.system
def test_a_plan_of_format_1_is_refused_by_its_version_alone(plan_file: Path) -> None:
    """Even with fields today's format does not have, only the version is named."""
    saved = as_format_1(json.loads(plan_file.read_text()))
    saved["changes"][0]["reason"] = "no longer in the configuration"
    plan_file.write_text(json.dumps(saved))

    assert failure(kodos("show", plan_file)) == f"error: {plan_file}: {OLDER_FORMAT}"


@pytest.mark.system
def test_needed_by_goes_only_with_kept_as_dependency(plan_file: Path) -> None:
    saved = json.loads(plan_file.read_text())
    saved["changes"][0]["needed_by"] = "zsh"
    saved["changes"][1]["reason"] = "kept_as_dependency"
    plan_file.write_text(json.dumps(saved))

    message = "Value error, needed_by is given when, and only when, reason is kept_as_dependency"
    assert failure(kodos("show", plan_file)) == (
        f"error: {plan_file}: changes.0: {message}\nerror: {plan_file}: changes.1: {message}\n"
    )


@pytest.mark.system
def test_without_databases_a_group_known_from_installed_packages_is_not_a_package(
    new_root: NewRoot, tmp_path: Path
) -> None:
    root = new_root()
    root.install("gnome")
    for database in (root.path / "var/lib/pacman/sync").iterdir():
        database.unlink()
    config = tmp_path / "configuration.lua"
    config.write_text("return { packages = { 'htop', 'gnome' } }")
    done = kodos("plan", "-c", config, "--root", root.path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "error: packages[2]: cannot expand group gnome without sync databases"
    )
