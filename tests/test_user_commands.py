"""`kodos user …` run for real by unprivileged accounts made for the test (`useradd`, `setpriv`)
and by root with `--for`: apply, re-apply, change, rollback, collisions and `--backup`, a
hostile link, saved plans, a second user left alone, and the exact words of every refusal."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.homeuser import (
    TestUser,
    as_user,
    home_tree,
    home_users,
    kodos_as,
    kodos_as_root,
    python_for_everyone,
)

COLLISION = (
    "error: in the way, not placed by kodos: ~/.profile; nothing changed (move them away, or "
    "run again with --backup SUFFIX to have kodos move them aside)\n"
)


def write_config(directory: Path, users: dict[str, dict[str, str]]) -> Path:
    """A configuration whose users each get files copied from the configuration directory:
    {user: {home path: content}}."""
    directory.mkdir(exist_ok=True)
    sections = []
    for name, files in users.items():
        entries = []
        for path, content in files.items():
            source = f"{name}-{path.strip('~/').replace('/', '_')}"
            (directory / source).write_text(content)
            entries.append(f'["{path}"] = copy_file("{source}")')
        sections.append(f'["{name}"] = {{ files = {{ {", ".join(entries)} }} }}')
    (directory / "configuration.lua").write_text(
        'require("configs")\nreturn { users = { ' + ", ".join(sections) + " } }\n"
    )
    return directory


@pytest.fixture
def two_users() -> Iterator[tuple[Path, TestUser, TestUser]]:
    with home_users(2) as (base, (ada, bob)):
        yield base, ada, bob


@pytest.mark.system
def test_apply_reapply_change_and_rollback_as_the_user(
    two_users: tuple[Path, TestUser, TestUser],
) -> None:
    base, ada, bob = two_users
    config = write_config(base / "config", {
        ada.name: {"~/.config/app/settings": "colour = blue\n", "~/.profile": "export A=1\n"},
        bob.name: {"~/.profile": "export B=1\n"},
    })  # fmt: skip
    (bob.home / "notes").write_text("bob's\n")
    bob_before = home_tree(bob)

    done = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(f"Activated home generation 1 for {ada.name}.\n")
    assert "+ home.file[~/.config/app/settings]" in done.stdout
    assert home_tree(ada) == {
        ".config/app/settings": "colour = blue\n",
        ".profile": "export A=1\n",
    }
    assert (ada.home / ".profile").stat().st_uid == ada.uid

    again = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert again.returncode == 0, again.stderr
    assert again.stdout.endswith(
        "No changes. The home matches the configuration.\n"
        "Nothing to apply: no home generation was made.\n"
    )
    assert sorted(p.name for p in ada.state.iterdir() if p.name.isdigit()) == ["1"]
    assert kodos_as(ada, "user", "plan", "-c", config, "--detailed-exitcode").returncode == 0

    write_config(base / "config", {ada.name: {"~/.config/app/settings": "colour = red\n"}})
    planned = kodos_as(ada, "user", "plan", "-c", config, "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert planned.stdout.startswith(
        f"Plan for {config}/configuration.lua against {ada.home} (home generation 1)\n"
    )
    assert "  - home.file[~/.profile]  (no longer in the configuration" in planned.stdout
    assert "Plan: 0 to add, 1 to change, 1 to destroy.\n" in planned.stdout
    changed = kodos_as(ada, "rebuild-user", "-c", config, "--yes")  # upstream's name
    assert changed.returncode == 0, changed.stderr
    assert home_tree(ada) == {".config/app/settings": "colour = red\n"}

    back = kodos_as(ada, "user", "rollback")
    assert back.returncode == 0, back.stderr
    assert back.stdout == f"Activated home generation 1 for {ada.name}.\n"
    assert home_tree(ada) == {
        ".config/app/settings": "colour = blue\n",
        ".profile": "export A=1\n",
    }
    listed = kodos_as(ada, "user", "generations", "--json")
    rows = json.loads(listed.stdout)["generations"]
    assert [(row["generation"], row["current"]) for row in rows] == [(1, True), (2, False)]
    assert home_tree(bob) == bob_before  # the other user on the machine is untouched
    assert not (bob.home / ".local").exists()


@pytest.mark.system
def test_a_file_kodos_did_not_place_is_refused_or_moved_aside(
    two_users: tuple[Path, TestUser, TestUser],
) -> None:
    base, ada, _ = two_users
    config = write_config(base / "config", {ada.name: {"~/.profile": "export A=1\n"}})
    assert as_user(ada, "sh", "-c", "echo mine > ~/.profile").returncode == 0

    planned = kodos_as(ada, "user", "plan", "-c", config, "--json")
    assert json.loads(planned.stdout)["collisions"] == ["home.file[~/.profile]"]
    refused = kodos_as(ada, "user", "apply", "-c", config, "--yes")
    assert (refused.returncode, refused.stderr) == (1, COLLISION)
    assert home_tree(ada) == {".profile": "mine\n"}
    assert not ada.state.joinpath("1").exists()

    moved = kodos_as(ada, "user", "apply", "-c", config, "--yes", "--backup", ".orig")
    assert moved.returncode == 0, moved.stderr
    assert "note: moved ~/.profile aside to ~/.profile.orig\n" in moved.stderr
    assert home_tree(ada) == {".profile": "export A=1\n", ".profile.orig": "mine\n"}


@pytest.mark.system
def test_a_hostile_link_in_the_home_is_never_followed(
    two_users: tuple[Path, TestUser, TestUser],
) -> None:
    base, ada, _ = two_users
    config = write_config(base / "config", {ada.name: {"~/.config/kodos-test-x/y": "x\n"}})
    os.symlink("/etc", ada.home / ".config")
    refused = kodos_as_root("user", "apply", "--for", ada.name, "-c", config, "--yes")
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: ~/.config is a symbolic link (to /etc): kodos places files only under real "
        "directories in the home and never follows a link there\n"
    )
    assert not Path("/etc/kodos-test-x").exists()


@pytest.mark.system
def test_root_acts_for_a_user_as_that_user(two_users: tuple[Path, TestUser, TestUser]) -> None:
    base, ada, bob = two_users
    config = write_config(base / "config", {ada.name: {"~/.profile": "export A=1\n"}})
    done = kodos_as_root("user", "apply", "--for", ada.name, "-c", config, "--yes")
    assert done.returncode == 0, done.stderr
    for path in (ada.home / ".profile", ada.state / "1" / "manifest.json", ada.state):
        assert (path.stat().st_uid, path.stat().st_gid) == (ada.uid, ada.gid)
    assert home_tree(bob) == {}
    listed = kodos_as_root("user", "generations", "--for", ada.name)
    assert listed.stdout.startswith("*    1  ")


@pytest.mark.system
def test_a_saved_plan_applies_only_as_it_was_made(
    two_users: tuple[Path, TestUser, TestUser],
) -> None:
    base, ada, _ = two_users
    config = write_config(base / "config", {ada.name: {"~/.a": "1\n"}})
    saved = ada.home / "plan.json"
    assert kodos_as(ada, "user", "plan", "-c", config, "--out", saved).returncode == 0
    write_config(base / "config", {ada.name: {"~/.a": "2\n"}})  # the copied file changes
    changed = kodos_as(ada, "user", "apply", saved, "--yes")
    assert (changed.returncode, changed.stderr) == (
        1,
        f"error: {saved} is not what kodos would apply: home.file[~/.a]: after.content: it has "
        '"1\\n", a fresh plan has "2\\n"; nothing was applied (make a new plan and review it)\n',
    )
    assert kodos_as(ada, "user", "plan", "-c", config, "--out", saved).returncode == 0
    assert as_user(ada, "sh", "-c", "echo mine > ~/.a").returncode == 0  # the home moves
    stale = kodos_as(ada, "user", "apply", saved, "--yes")
    assert (stale.returncode, stale.stderr) == (
        1,
        f"error: {saved} is stale: the machine changed since the plan was made; make a new plan\n",
    )
    assert as_user(ada, "rm", ada.home / ".a").returncode == 0
    assert kodos_as(ada, "user", "plan", "-c", config, "--out", saved).returncode == 0
    applied = kodos_as(ada, "user", "apply", saved, "--yes")
    assert applied.returncode == 0, applied.stderr
    assert (ada.home / ".a").read_text() == "2\n"


@pytest.mark.system
def test_refusals_say_what_to_do(two_users: tuple[Path, TestUser, TestUser]) -> None:
    base, ada, bob = two_users
    config = write_config(base / "config", {bob.name: {"~/.a": "1\n"}})
    missing = kodos_as(ada, "user", "plan", "-c", config)
    assert (missing.returncode, missing.stderr) == (
        1,
        f'error: users["{ada.name}"]: no section for user {ada.name} in '
        f"{config}/configuration.lua (its users: {bob.name})\n",
    )
    not_root = kodos_as(ada, "user", "plan", "--for", bob.name, "-c", config)
    assert (not_root.returncode, not_root.stderr) == (
        1,
        f"error: --for {bob.name} needs root: run as root (sudo)\n",
    )
    unknown = kodos_as_root("user", "plan", "--for", "kodos-nobody-here", "-c", config)
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "error: --for kodos-nobody-here: no such user in the passwd database\n",
    )
    no_rollback = kodos_as(ada, "user", "rollback")
    assert (no_rollback.returncode, no_rollback.stderr) == (
        1,
        "error: no home generation is active yet: nothing to roll back\n",
    )
    sudo_kept_home = subprocess.run(
        [*python_for_everyone(), "user", "plan", "-c", config], capture_output=True, text=True,
        check=False, env={**os.environ, "HOME": str(ada.home)},
    )  # fmt: skip
    assert (sudo_kept_home.returncode, sudo_kept_home.stderr) == (
        1,
        f"error: $HOME is {ada.home}, which uid {ada.uid} owns, not root: kodos user acts on the "
        "running user's own home; run it as that user, or as root with --for NAME\n",
    )
    no_default = kodos_as(ada, "user", "plan")  # no ~/.config/kodos, and /etc/kodos
    assert no_default.returncode == 1
    assert "Traceback" not in no_default.stderr
