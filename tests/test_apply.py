"""`kodos apply` on a real Btrfs machine (a loop image): adoption, new generations, the commit
order, failures at every step and kill -9 at several points, saved plans, rollback and gc."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kodos.system.btrfs import get_default, list_subvolumes, top_level
from tests.support.btrfs import BtrfsMachine, mounts_under

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[1]

FIRST = """
return {
    boot = { kernel = { package = "linux", options = { "quiet", "console=ttyS0" } } },
    network = { hostname = "first" },
    packages = { "htop" },
    services = { openssh = { enable = true, service_name = "sshd" } },
    users = { alice = { name = "Alice", shell = "/bin/sh" } },
}
"""
SECOND = FIRST.replace('"htop"', '"htop", "git"').replace('"first"', '"second"')
STEPS = ["snapshot", "execute", "verify", "record", "entry", "index"]


FAULTY = "tests.support.faulty_kodos"
"""The tests' own entry point: kodos with a failure or pause injected at a step."""


def kodos(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    faulty: bool = False,
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; `faulty`: through `FAULTY`, which honours KODOS_TEST_FAIL_AT
    and KODOS_TEST_PAUSE_AT (an installed kodos ignores them)."""
    return subprocess.run(
        [sys.executable, "-m", FAULTY if faulty else "kodos", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def kodos_mounts() -> list[Path]:
    """What a kodos run could leave on the host: mounts of its scratch space (they live in its
    private namespace) and mount directories in /tmp."""
    scratch = Path("/run/kodos")
    leftovers = mounts_under(scratch) if scratch.exists() else []
    return [*leftovers, *Path(tempfile.gettempdir()).glob("kodos-mount-*")]


# What the progress view says, in order, as a first apply passes each step (kodos.steps).
APPLY_PROGRESS = (
    "took the machine's lock",
    "cleaned up after interrupted runs",
    "planned against the default generation",
    "snapshotted the default generation",
    "applied the changes inside the snapshot",
    "wrote the new generation to disk",
    "verified: the new generation matches the configuration",
    "wrote the generation record",
    "wrote the boot entry",
    "added the generation to the index",
    "made it systemd-boot's default",
    "made it the Btrfs default subvolume",
)


def write_config(tmp_path: Path, text: str, name: str = "config") -> Path:
    directory = tmp_path / name
    directory.mkdir(exist_ok=True)
    (directory / "configuration.lua").write_text(text)
    return directory


def apply(
    machine: BtrfsMachine, config: Path, *extra: str, **kw: object
) -> subprocess.CompletedProcess[str]:
    return kodos("apply", "-c", config, "--root", machine.root, "--yes", *extra, **kw)  # type: ignore[arg-type]


def generations(machine: BtrfsMachine) -> list[dict[str, object]]:
    done = kodos("generations", "list", "--root", machine.root, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def state(machine: BtrfsMachine) -> dict[str, object]:
    """Everything a failed apply must leave as it was."""
    assert machine.esp is not None
    with top_level(machine.fs) as top:
        index = (
            (top / "kodos/index.json").read_text() if (top / "kodos/index.json").exists() else None
        )
        return {
            "subvolumes": list_subvolumes(top),
            "btrfs_default": get_default(top),
            "index": index,
            "loader": (machine.esp / "loader/loader.conf").read_text(),
            "entries": sorted(p.name for p in (machine.esp / "loader/entries").glob("*")),
            "hostname": (machine.root / "etc/hostname").read_text()
            if (machine.root / "etc/hostname").exists()
            else None,
        }


def test_first_apply_adopts_the_root_and_builds_generation_1(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    done = apply(btrfs_machine, config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("Built generation 1; it boots next.")
    assert [line for line in done.stderr.splitlines() if "✓" in line] == [
        f"  ✓ {label}" for label in APPLY_PROGRESS
    ]
    listed = generations(btrfs_machine)
    assert [(g["id"], g["status"], g["default"], g["running"]) for g in listed] == [
        (0, "ready", False, True),
        (1, "ready", True, False),
    ]
    assert btrfs_machine.esp is not None
    assert "default kodos-*" in (btrfs_machine.esp / "loader/loader.conf").read_text()
    entry = (btrfs_machine.esp / "loader/entries/kodos-1+3.conf").read_text()  # three tries
    assert "rootflags=subvol=kodos/generations/1 rw quiet console=ttyS0\n" in entry
    with top_level(btrfs_machine.fs) as top:
        assert get_default(top) == "kodos/generations/1"
        record = json.loads((top / "kodos/generations/1/var/lib/kodos/generation.json").read_text())
        assert (top / "kodos/generations/1/etc/hostname").read_text() == "first\n"
    assert record["parent"] == 0
    assert "pacman.package[htop]" in record["managed"]
    # the running root is untouched; alice's home is on the shared @home, where it is at boot
    assert not (btrfs_machine.root / "etc/hostname").exists()
    assert (btrfs_machine.home / "alice").is_dir()
    assert kodos_mounts() == []


def test_a_second_apply_builds_on_the_default_and_rollback_switches_back(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    assert apply(btrfs_machine, write_config(tmp_path, FIRST)).returncode == 0
    second = write_config(tmp_path, SECOND, "second")
    done = apply(btrfs_machine, second)
    assert done.returncode == 0, done.stderr
    assert "Built generation 2" in done.stdout
    with top_level(btrfs_machine.fs) as top:
        record = json.loads((top / "kodos/generations/2/var/lib/kodos/generation.json").read_text())
    assert record["parent"] == 1
    assert {"htop", "git"} <= set(record["packages"])

    again = apply(btrfs_machine, second)
    assert again.returncode == 0, again.stderr
    assert "Nothing to apply: no generation was built." in again.stdout

    rolled = kodos("rollback", "1", "--root", btrfs_machine.root)
    assert rolled.returncode == 0, rolled.stderr
    assert [g["id"] for g in generations(btrfs_machine) if g["default"]] == [1]
    with top_level(btrfs_machine.fs) as top:
        assert get_default(top) == "kodos/generations/1"
    assert kodos("rollback", "2", "--root", btrfs_machine.root).returncode == 0

    gc = kodos("generations", "gc", "--keep", "1", "--root", btrfs_machine.root, "--yes")
    assert gc.returncode == 0, gc.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 2]
    assert btrfs_machine.esp is not None
    assert not list((btrfs_machine.esp / "loader/entries").glob("kodos-1[.+]*"))


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_changes_nothing(
    btrfs_machine: BtrfsMachine, tmp_path: Path, step: str
) -> None:
    assert apply(btrfs_machine, write_config(tmp_path, FIRST)).returncode == 0
    before = state(btrfs_machine)
    second = write_config(tmp_path, SECOND, "second")
    failed = apply(btrfs_machine, second, env={"KODOS_TEST_FAIL_AT": step}, faulty=True)
    assert failed.returncode == 1
    assert f"injected failure at step '{step}'" in failed.stderr
    assert "Traceback" not in failed.stderr
    after = state(btrfs_machine)
    # nothing changed but the highest number used: generation 2's is never given again
    assert json.loads(str(after.pop("index"))) == {
        **json.loads(str(before.pop("index"))),
        "highest_id": 2,
    }
    assert after == before
    # and the machine still works: a second apply builds generation 3
    done = apply(btrfs_machine, second)
    assert done.returncode == 0, done.stderr
    assert "Built generation 3" in done.stdout


def test_keep_failed_keeps_the_snapshot_marked_failed(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    failed = apply(
        btrfs_machine, config, "--keep-failed", env={"KODOS_TEST_FAIL_AT": "verify"}, faulty=True
    )
    assert failed.returncode == 1
    listed = generations(btrfs_machine)
    assert [(g["id"], g["status"], g["default"]) for g in listed] == [
        (0, "ready", True),
        (1, "failed", False),
    ]


@pytest.mark.parametrize("step", ["snapshot", "execute", "record", "index"])
def test_kill_9_at_any_point_is_cleaned_up_by_the_next_run(
    btrfs_machine: BtrfsMachine, tmp_path: Path, step: str
) -> None:
    assert apply(btrfs_machine, write_config(tmp_path, FIRST)).returncode == 0
    before = state(btrfs_machine)
    second = write_config(tmp_path, SECOND, "second")
    argv = [sys.executable, "-m", FAULTY, "apply", "-c", str(second), "--root"]
    process = subprocess.Popen(
        [*argv, str(btrfs_machine.root), "--yes"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KODOS_TEST_PAUSE_AT": step},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    for line in process.stderr:
        if f"paused at {step}" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    # the private mount namespace died with it: nothing kodos mounted stays mounted
    assert kodos_mounts() == []
    listed = generations(btrfs_machine)
    assert [g["id"] for g in listed if g["default"]] == [1]
    if step != "index":
        assert state(btrfs_machine)["btrfs_default"] == before["btrfs_default"]
    plan = kodos("plan", "-c", second, "--root", btrfs_machine.root)
    assert plan.returncode == 0, plan.stderr
    done = apply(btrfs_machine, second)
    assert done.returncode == 0, done.stderr
    assert [g["id"] for g in generations(btrfs_machine) if g["default"]] != [1]


def test_a_saved_plan_applies_and_a_stale_one_is_refused(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    saved = tmp_path / "plan.json"
    made = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved)
    assert made.returncode == 0, made.stderr
    assert apply_saved(btrfs_machine, saved).returncode == 0
    # the default generation moved on: the plan's base is gone
    stale = apply_saved(btrfs_machine, saved)
    assert stale.returncode == 1
    assert f"error: {saved} is stale: the default generation is 1, the plan was made against" in (
        stale.stderr
    )


def test_a_saved_plan_of_format_1_is_refused(btrfs_machine: BtrfsMachine, tmp_path: Path) -> None:
    """Read for its configuration (no -c: before anything happens) or after planning afresh
    under the lock (-c): refused either way, and no generation is built."""
    config = write_config(tmp_path, FIRST)
    saved = tmp_path / "plan.json"
    made = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--out", saved)
    assert made.returncode == 0, made.stderr
    saved.write_text(json.dumps({**json.loads(saved.read_text()), "format_version": "1"}))
    before = state(btrfs_machine)
    refused = (
        f'error: {saved}: format_version: "1" is the plan format of an older kodos; this '
        'kodos reads format "2": make the plan again with kodos plan --out\n'
    )

    done = kodos("apply", saved, "--root", btrfs_machine.root, "--yes")
    assert (done.returncode, done.stderr) == (1, refused)
    assert state(btrfs_machine) == before

    done = kodos("apply", saved, "-c", config, "--root", btrfs_machine.root, "--yes")
    assert (done.returncode, done.stderr.splitlines(keepends=True)[-1]) == (1, refused)
    assert [g["id"] for g in generations(btrfs_machine)] == [0]  # adopted, nothing built


def apply_saved(machine: BtrfsMachine, saved: Path) -> subprocess.CompletedProcess[str]:
    return kodos("apply", saved, "--root", machine.root, "--yes")


def test_a_root_not_on_btrfs_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, FIRST)
    root = tmp_path / "root"
    root.mkdir()
    done = kodos("apply", "-c", config, "--root", root, "--yes")
    assert done.returncode == 1
    assert "is not on Btrfs" in done.stderr
    assert "Traceback" not in done.stderr


def test_apply_without_yes_and_without_a_terminal_refuses(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    done = kodos("apply", "-c", write_config(tmp_path, FIRST), "--root", btrfs_machine.root)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "error: kodos apply asks for confirmation: run again with --yes; nothing changed"
    )
    assert [g["id"] for g in generations(btrfs_machine)] == [0]


def test_apply_declined_on_a_terminal_changes_nothing(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    argv = [sys.executable, "-m", "kodos", "apply", "-c", str(config), "--root", btrfs_machine.root]
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"no\n")
        done = subprocess.run(
            list(map(str, argv)),
            cwd=REPO, stdin=terminal, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 1
    assert "Apply these changes as a new generation? Only 'yes' is accepted: " in done.stdout
    assert done.stderr.splitlines()[-1] == "error: not confirmed: nothing changed"
    assert [g["id"] for g in generations(btrfs_machine)] == [0]


def test_plan_is_made_against_the_generation_that_boots_next(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    assert apply(btrfs_machine, config).returncode == 0
    # no reboot: the running root is still generation 0, but generation 1 boots next
    done = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--detailed-exitcode")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"against {btrfs_machine.root} (generation 1)" in done.stdout
    assert "note: planned against generation 1, which boots next (not the running root)" in (
        done.stdout
    )
    assert done.stdout.endswith("No changes. The system matches the configuration.\n")


def test_a_second_apply_waits_for_the_lock_and_names_its_holder(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    argv = ["apply", "-c", str(config), "--root", str(btrfs_machine.root), "--yes"]
    holder = subprocess.Popen(
        [sys.executable, "-m", FAULTY, *argv],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KODOS_TEST_PAUSE_AT": "execute"},
    )
    assert holder.stderr is not None
    for line in holder.stderr:
        if "paused at execute" in line:
            break
    try:
        second = apply(btrfs_machine, config, "--lock-timeout", "1")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert second.returncode == 1
    assert f"(pid {holder.pid}" in second.stderr
    assert "holds the lock for this machine" in second.stderr
