"""Repositories as desired state and `--upgrade`, on loop-image machines with the real pacman.

Each machine starts as a Btrfs root whose pacman.conf names the standard mirror directly
(`Server =` lines, no mirror list); the configurations point at other mirrors built from it
(tests/support/mirror.py: copied, then new versions published with the real repo-add).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodos.pacman.conf import ADDED_MARK
from kodos.pacman.localdb import read_sync_database
from kodos.system.btrfs import top_level
from tests.support.btrfs import BtrfsMachine
from tests.support.mirror import Mirror, copy_mirror, new_version, publish
from tests.test_apply import apply, generations, kodos, write_config

pytestmark = pytest.mark.system

GENERATION = "kodos/generations/{}"


def config_text(mirror: Mirror, packages: str = '"htop"') -> str:
    return f"""
local repos = require("repos")
return {{
    boot = {{ kernel = {{ package = "linux" }} }},
    repos = {{ arch = repos.arch_repo("file://{mirror.path.resolve()}") }},
    packages = {{ {packages} }},
}}
"""


def generation_file(machine: BtrfsMachine, generation: int, path: str) -> str:
    with top_level(machine.fs) as top:
        return (top / GENERATION.format(generation) / path).read_text()


def installed_version(machine: BtrfsMachine, generation: int, name: str) -> str | None:
    with top_level(machine.fs) as top:
        local = top / GENERATION.format(generation) / "var/lib/pacman/local"
        found = [entry.name for entry in local.glob(f"{name}-*") if entry.name.count("-") >= 2]
    versions = [entry.removeprefix(f"{name}-") for entry in found]
    return next((v for v in versions if v[0].isdigit()), None)


def apply_log(machine: BtrfsMachine, stderr: str) -> str:
    """The log an apply named at its end: `kodos/logs/…` at the top level (no shared
    /var/log subvolume on these machines)."""
    line = next(line for line in stderr.splitlines() if line.startswith("log of this apply: "))
    relative = line.removeprefix("log of this apply: ").split(" at the top level of ")[0]
    assert relative.startswith("kodos/logs/apply-"), line
    with top_level(machine.fs) as top:
        return (top / relative).read_text()


@pytest.fixture
def mirror(tmp_path: Path, standard_mirror: Mirror) -> Mirror:
    """The standard packages on a mirror of their own (new versions get published there)."""
    return copy_mirror(standard_mirror, tmp_path / "mirror2")


def test_a_new_mirror_serves_the_new_generation_and_the_running_one_keeps_its_own(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror, standard_mirror: Mirror
) -> None:
    # The running generation's mirror can serve nothing any more (its databases stay): only
    # the new generation's own mirror list can bring the packages.
    running = btrfs_machine.root / "etc/pacman.conf"
    dead = "file:///nonexistent/$repo/os/$arch"
    running.write_text(running.read_text().replace(standard_mirror.server, dead))
    running_conf = running.read_text()
    config = write_config(tmp_path, config_text(mirror))

    planned = kodos("plan", "-c", config, "--root", btrfs_machine.root)
    assert planned.returncode == 0, planned.stderr
    server = f"file://{mirror.path.resolve()}/$repo/os/$arch"
    assert (
        "  + pacman.mirrorlist[/etc/pacman.d/mirrorlist]  (from repos.arch.mirror)\n"
        f'      servers: ["{server}"]\n'
    ) in planned.stdout
    # the machine had [core] and [extra] before kodos: the plan says it manages them from now on
    include = (
        "(here before kodos; kodos manages it from now on; from repos.arch.mirror)  "
        'include="/etc/pacman.d/mirrorlist"'
    )
    assert f"  ~ pacman.repository[core]  {include}\n" in planned.stdout
    assert f"  ~ pacman.repository[extra]  {include}\n" in planned.stdout
    done = apply(btrfs_machine, config)
    assert done.returncode == 0, done.stderr

    assert installed_version(btrfs_machine, 1, "htop") == "3.3.0-3"
    mirrorlist = generation_file(btrfs_machine, 1, "etc/pacman.d/mirrorlist")
    assert mirrorlist.splitlines()[1:] == [f"Server = {server}"]
    conf = generation_file(btrfs_machine, 1, "etc/pacman.conf")
    assert "[core]\nInclude = /etc/pacman.d/mirrorlist\n" in conf
    assert "[extra]\nInclude = /etc/pacman.d/mirrorlist\n" in conf
    assert "SigLevel = Never\nLocalFileSigLevel = Never\n" in conf  # options as they were
    assert "Server =" not in conf and ADDED_MARK not in conf  # edited, not added
    # the running generation is untouched
    assert (btrfs_machine.root / "etc/pacman.conf").read_text() == running_conf
    assert not (btrfs_machine.root / "etc/pacman.d/mirrorlist").exists()
    assert "pacman -S --needed" in apply_log(btrfs_machine, done.stderr)


def test_a_pacman_conf_without_core_and_extra_gets_them_and_loses_only_those(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror
) -> None:
    conf = btrfs_machine.root / "etc/pacman.conf"
    options = "# the machine's own comment\n[options]\nArchitecture = auto\nSigLevel = Never\n"
    conf.write_text(options)

    done = apply(btrfs_machine, write_config(tmp_path, config_text(mirror)))
    assert done.returncode == 0, done.stderr
    assert installed_version(btrfs_machine, 1, "htop") is not None
    text = generation_file(btrfs_machine, 1, "etc/pacman.conf")
    assert text == (
        f"{options}\n"
        f"{ADDED_MARK}\n[core]\nInclude = /etc/pacman.d/mirrorlist\n\n"
        f"{ADDED_MARK}\n[extra]\nInclude = /etc/pacman.d/mirrorlist\n"
    )

    # dropping the repository removes the sections kodos added, nothing else
    dropped = write_config(tmp_path, 'return { packages = { "htop" } }', "dropped")
    done = apply(btrfs_machine, dropped)
    assert done.returncode == 0, done.stderr
    assert "- pacman.repository[core]" in done.stdout
    assert "pacman.mirrorlist" not in done.stdout  # the list stays, unmanaged
    assert generation_file(btrfs_machine, 2, "etc/pacman.conf") == options


def test_sections_in_an_included_file_are_edited_there_and_pacman_reads_them_inside(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror, standard_mirror: Mirror
) -> None:
    # pacman.conf holds only options; [core] and [extra] come from a file it includes, with
    # servers the new generation must not use (the running one's, now dead).
    options = "[options]\nArchitecture = auto\nSigLevel = Never\n"
    options += "Include = /etc/pacman.d/repos.conf\n"
    (btrfs_machine.root / "etc/pacman.conf").write_text(options)
    dead = "Server = file:///nonexistent/$repo/os/$arch"
    repos = f"# the machine's repositories\n[core]\n{dead}\n\n[extra]\n{dead}\n"
    (btrfs_machine.root / "etc/pacman.d/repos.conf").write_text(repos)
    config = write_config(tmp_path, config_text(mirror))

    done = apply(btrfs_machine, config)

    assert done.returncode == 0, done.stderr
    assert "~ pacman.repository[core]" in done.stdout  # seen, so edited, not added twice
    assert "+ pacman.repository" not in done.stdout
    assert installed_version(btrfs_machine, 1, "htop") == "3.3.0-3"
    assert generation_file(btrfs_machine, 1, "etc/pacman.conf") == options
    assert generation_file(btrfs_machine, 1, "etc/pacman.d/repos.conf") == (
        "# the machine's repositories\n[core]\nInclude = /etc/pacman.d/mirrorlist\n\n"
        "[extra]\nInclude = /etc/pacman.d/mirrorlist\n"
    )
    assert (btrfs_machine.root / "etc/pacman.d/repos.conf").read_text() == repos

    # an include pacman would stop at stops the plan, located
    with top_level(btrfs_machine.fs) as top:
        (top / GENERATION.format(1) / "etc/pacman.d/repos.conf").unlink()
    planned = kodos("plan", "-c", config, "--root", btrfs_machine.root)
    assert planned.returncode == 1
    assert planned.stderr.endswith(
        "/etc/pacman.conf line 4: Include = /etc/pacman.d/repos.conf: no such file\n"
    )


def _upgraded(mirror: Mirror, **changes: object) -> Mirror:
    return publish(mirror, [new_version(mirror, "htop", "3.4.1-1", **changes)])


def applied_then_upgraded(
    machine: BtrfsMachine, tmp_path: Path, mirror: Mirror, **changes: object
) -> Path:
    """Generation 1 from `mirror` with htop 3.3.0-3, then htop 3.4.1-1 (with `changes`)
    published there; returns the configuration."""
    config = write_config(tmp_path, config_text(mirror))
    assert apply(machine, config).returncode == 0
    _upgraded(mirror, **changes)
    return config


def test_apply_upgrade_builds_the_new_versions_and_the_previous_generation_keeps_its_own(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror
) -> None:
    config = applied_then_upgraded(btrfs_machine, tmp_path, mirror)

    planned = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--upgrade")
    assert planned.returncode == 0, planned.stderr
    assert '~ pacman.package[htop]\n      version: "3.3.0-3" -> "3.4.1-1"' in planned.stdout
    assert "upgrade: 1 package to upgrade; download size" in planned.stdout
    done = apply(btrfs_machine, config, "--upgrade")
    assert done.returncode == 0, done.stderr
    assert "Built generation 2" in done.stdout

    assert installed_version(btrfs_machine, 2, "htop") == "3.4.1-1"
    assert installed_version(btrfs_machine, 1, "htop") == "3.3.0-3"
    record = json.loads(generation_file(btrfs_machine, 2, "var/lib/kodos/generation.json"))
    assert sorted(record["upgrade"]["databases"]) == ["core", "extra"]
    assert record["packages"]["htop"] == "3.4.1-1"
    # the running generation's databases are as they were: htop 3.4.1 is not in them
    running = read_sync_database(btrfs_machine.root / "var/lib/pacman/sync/extra.db")
    assert running["htop"].version == "3.3.0-3"
    with top_level(btrfs_machine.fs) as top:
        upgraded = read_sync_database(top / GENERATION.format(2) / "var/lib/pacman/sync/extra.db")
    assert upgraded["htop"].version == "3.4.1-1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"files": {"usr/bin/htop": "new\n", "usr/bin/busybox": "mine\n"}},
            "upgrade packages (pacman.package[htop]): pacman failed with exit code 1: failed "
            "to commit transaction (conflicting files): htop: /usr/bin/busybox exists in "
            "filesystem (owned by busybox)",
        ),
        (
            {"install": "pre_upgrade() {\n  echo cannot upgrade\n  return 1\n}\n"},
            "upgrade packages (pacman.package[htop]): a package scriptlet or hook failed "
            "(error: command failed to execute correctly) after: upgrading htop... | "
            "cannot upgrade",
        ),
        (
            {"depends": ["no-such-library"]},
            "upgrade packages (pacman.package[htop]): pacman failed with exit code 1: failed "
            "to prepare transaction (could not satisfy dependencies): :: unable to satisfy "
            "dependency 'no-such-library' required by htop",
        ),
    ],
    ids=["file-conflict", "scriptlet", "dependency"],
)
def test_a_failing_upgrade_leaves_nothing_and_says_what_pacman_said(
    btrfs_machine: BtrfsMachine,
    tmp_path: Path,
    mirror: Mirror,
    changes: dict[str, object],
    message: str,
) -> None:
    config = applied_then_upgraded(btrfs_machine, tmp_path, mirror, **changes)
    before = [g["id"] for g in generations(btrfs_machine)]

    done = apply(btrfs_machine, config, "--upgrade")

    assert done.returncode == 1
    assert f"error: {message}" in done.stderr, done.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == before
    with top_level(btrfs_machine.fs) as top:
        assert not (top / GENERATION.format(2)).exists()
    assert f"failed: {message}" in apply_log(btrfs_machine, done.stderr)


def test_a_saved_upgrade_plan_is_refused_once_the_databases_moved(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror
) -> None:
    config = applied_then_upgraded(btrfs_machine, tmp_path, mirror)
    saved = tmp_path / "upgrade.plan"
    root = btrfs_machine.root
    made = kodos("plan", "-c", config, "--root", root, "--upgrade", "--out", saved)
    assert made.returncode == 0, made.stderr
    publish(mirror, [new_version(mirror, "htop", "3.5.0-1")])
    assert kodos("plan", "-c", config, "--root", root, "--upgrade").returncode == 0

    done = kodos("apply", saved, "--root", root, "--yes", "--upgrade")

    assert done.returncode == 1
    assert (
        f"error: {saved} is stale: the sync databases changed since the plan was made (pacman "
        "would install other versions); make a new plan"
    ) in done.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1]


def test_keep_failed_says_where_the_failed_snapshot_is(
    btrfs_machine: BtrfsMachine, tmp_path: Path, mirror: Mirror
) -> None:
    failing = "pre_upgrade() {\n  return 1\n}\n"
    config = applied_then_upgraded(btrfs_machine, tmp_path, mirror, install=failing)

    done = apply(btrfs_machine, config, "--upgrade", "--keep-failed")

    assert done.returncode == 1
    assert (
        "the failed generation 2 is kept: subvolume kodos/generations/2 at the top level of "
        f"{btrfs_machine.root}'s Btrfs file system (mount it with -o subvolid=5 to look inside)"
    ) in done.stderr
    with top_level(btrfs_machine.fs) as top:
        assert (top / GENERATION.format(2) / "var/lib/pacman").is_dir()
    assert [(g["id"], g["status"]) for g in generations(btrfs_machine)][-1] == (2, "failed")
