"""`aur:` packages planned, built, locked, upgraded, rolled back and removed, end to end: a
loop-image Btrfs machine, a local AUR of git repositories (tests/support/aur.py), the real git,
makepkg, repo-add and pacman.

The machine's pacman.conf and the configuration's `arch_repo` name a mirror holding the
repository packages the AUR packages need; the AUR is `file://` (its metadata from each
repository's `.SRCINFO`). kodos's AUR mirrors go to root's cache for that URL, removed after
each test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.plan.aur import aur_cache_dir
from kodos.system.btrfs import top_level
from tests.support.aur import REPO_PACKAGES, LocalAur, standard_aur
from tests.support.btrfs import BTRFS_TOOLS, BtrfsMachine, btrfs_machine
from tests.support.catalog import standard_packages
from tests.support.mirror import build_mirror
from tests.support.tools import require_root, require_tools
from tests.test_apply import apply, generations, kodos, write_config
from tests.test_repos_upgrade import apply_log, installed_version

pytestmark = pytest.mark.system


@dataclass(frozen=True)
class World:
    machine: BtrfsMachine
    aur: LocalAur
    mirror_url: str
    tmp: Path

    def config(self, packages: str, name: str = "config", hostname: str = "aur") -> Path:
        return write_config(
            self.tmp,
            f"""
local repos = require("repos")
return {{
    boot = {{ kernel = {{ package = "linux" }} }},
    network = {{ hostname = "{hostname}" }},
    repos = {{
        arch = repos.arch_repo("{self.mirror_url}"),
        aur = repos.aur_repo("aur-tool", nil, {{ aur_url = "{self.aur.url}" }}),
    }},
    packages = {{ {packages} }},
}}
""",
            name,
        )

    def kodos(self, *args: str | Path) -> tuple[int, str, str]:
        done = kodos(*args, "--root", self.machine.root, timeout=600)
        return done.returncode, done.stdout, done.stderr

    def record(self, generation: int) -> dict[str, object]:
        with top_level(self.machine.fs) as top:
            path = top / f"kodos/generations/{generation}/var/lib/kodos/generation.json"
            return json.loads(path.read_text())  # type: ignore[no-any-return]

    def version(self, generation: int, name: str) -> str | None:
        return installed_version(self.machine, generation, name)


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path) -> Iterator[World]:
    require_tools(*BTRFS_TOOLS, "makepkg", "repo-add", "git", "setpriv")
    require_root()
    mirror = build_mirror(tmp_path / "mirror", [*standard_packages(), *REPO_PACKAGES])
    aur = standard_aur(tmp_path / "aur")
    try:
        with btrfs_machine(tmp_path, mirror) as machine:
            yield World(machine, aur, f"file://{mirror.path.resolve()}", tmp_path)
    finally:
        shutil.rmtree(aur_cache_dir(aur.url), ignore_errors=True)


APP = '"aur:aur-app"'


def test_aur_packages_are_built_locked_upgraded_rolled_back_and_removed(world: World) -> None:
    config = world.config(APP)
    heads = {base: world.aur.head(base) for base in ("aur-app", "aur-lib", "aur-tool")}
    first_app = heads["aur-app"]

    # a plan shows the commit each base is built at: the configured ones, the helper, and
    # the AUR base aur-app needs
    code, out, err = world.kodos("plan", "-c", config)
    assert code == 0, err
    assert (
        "AUR package bases (commit apply builds; kodos aur diff NAME shows a move):\n"
        f"  aur-app (aur-app): {first_app[:12]} 1.0-1, new\n"
        f"  aur-tool (aur-tool): {heads['aur-tool'][:12]} 1.0-1, new\n"
        f"  aur-lib (needed by AUR packages): {heads['aur-lib'][:12]} 1.0-1, new\n"
    ) in out
    helper = '+ aur.package[aur-tool]  (from repos.aur.helper)  reason="explicit" version="1.0-1"'
    assert helper in out

    # apply builds all three (the helper with a repository makedepends, aur-lib before the
    # package that needs it) and locks them
    done = apply(world.machine, config, timeout=600)
    assert done.returncode == 0, done.stderr
    assert world.version(1, "aur-app") == "1.0-1"
    assert world.version(1, "aur-lib") == "1.0-1"
    assert world.version(1, "aur-tool") == "1.0-1"
    assert f"aur-app 1.0-1 ({first_app[:12]}): building" in apply_log(world.machine, done.stderr)
    locks = world.record(1)["aur"]
    assert isinstance(locks, dict)
    assert {base: lock["commit"] for base, lock in locks.items()} == heads
    assert locks["aur-app"]["commit"] == first_app
    assert locks["aur-app"]["version"] == "1.0-1"
    assert set(locks["aur-app"]["packages"]) == {"aur-app"}
    assert len(locks["aur-app"]["packages"]["aur-app"]) == 64

    # re-applying changes nothing and builds nothing
    built = len(generations(world.machine))
    done = apply(world.machine, config, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(generations(world.machine)) == built

    # an apply that changes something else builds nothing: every base stays as locked
    config = world.config(APP, "renamed", hostname="renamed")
    done = apply(world.machine, config, timeout=600)
    assert done.returncode == 0, done.stderr
    log = apply_log(world.machine, done.stderr)
    assert "building" not in log and "built already" not in log
    assert world.record(2)["aur"] == locks

    # the AUR moves: a plain plan keeps the locked commit
    moved = world.aur.bump("aur-app", "1.1")
    code, out, err = world.kodos("plan", "-c", config)
    assert code == 0, err
    assert f"  aur-app (aur-app): {first_app[:12]} 1.0-1, locked" in out
    assert "No changes" in out

    # plan --upgrade moves it, naming the files that changed
    code, out, err = world.kodos("plan", "-c", config, "--upgrade")
    assert code == 0, err
    assert f"  aur-app (aur-app): {first_app[:12]} -> {moved[:12]} 1.1-1, changed:" in out
    assert "      .SRCINFO\n      PKGBUILD\n" in out
    assert "~ aur.package[aur-app]" in out
    assert 'version: "1.0-1" -> "1.1-1"' in out

    # kodos aur diff prints the whole diff
    code, out, err = world.kodos("aur", "diff", "aur-app", "-c", config)
    assert code == 0, err
    assert f"aur-app: aur-app {first_app} (locked) -> {moved} (the AUR's)" in out
    assert "-pkgver=1.0\n+pkgver=1.1" in out

    # apply --upgrade builds the new commit into a new generation
    done = apply(world.machine, config, "--upgrade", timeout=600)
    assert done.returncode == 0, done.stderr
    assert world.version(3, "aur-app") == "1.1-1"
    assert world.record(3)["aur"]["aur-app"]["commit"] == moved  # type: ignore[index]
    assert world.record(3)["aur"]["aur-lib"] == locks["aur-lib"]  # type: ignore[index]

    # rollback: the older generation keeps the older AUR build
    code, out, err = world.kodos("rollback", "2")
    assert code == 0, err
    assert world.version(2, "aur-app") == "1.0-1"

    # removal: an ordinary pacman -R
    removed = world.config("", "removed", hostname="renamed")
    done = apply(world.machine, removed, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "- aur.package[aur-app]" in done.stdout
    assert world.version(4, "aur-app") is None
    assert world.version(4, "aur-tool") == "1.0-1"  # the helper stays
    assert set(world.record(4)["aur"]) == {"aur-tool"}  # type: ignore[arg-type]


def test_a_saved_plan_builds_the_commits_it_pins(world: World) -> None:
    config = world.config(APP)
    assert apply(world.machine, config, timeout=600).returncode == 0
    built = len(generations(world.machine))
    pinned = world.aur.bump("aur-app", "1.1")
    saved = world.tmp / "upgrade.json"
    code, _, err = world.kodos("plan", "-c", config, "--upgrade", "--out", saved)
    assert code == 0, err
    world.aur.bump("aur-app", "1.2")  # the AUR moves on after the plan was saved

    # a pinned commit the AUR does not have is refused
    bogus = world.tmp / "bogus.json"
    plan = json.loads(saved.read_text())
    plan["aur"] = [
        {**b, "commit": "0" * 40} if b["pkgbase"] == "aur-app" else b for b in plan["aur"]
    ]
    bogus.write_text(json.dumps(plan))
    code, _, err = world.kodos("apply", bogus, "--yes")
    assert code == 1
    assert (
        f"the plan pins AUR package base aur-app at commit {'0' * 40}, which cannot be had from "
        f"{world.aur.url}"
    ) in err
    assert len(generations(world.machine)) == built

    code, _, err = world.kodos("apply", saved, "--yes", "--upgrade")
    assert code == 0, err
    assert world.version(2, "aur-app") == "1.1-1"
    assert world.record(2)["aur"]["aur-app"]["commit"] == pinned  # type: ignore[index]


def test_a_failed_build_changes_nothing(world: World) -> None:
    config = world.config('"aur:aur-broken"')
    done = apply(world.machine, config, timeout=600)
    assert done.returncode == 1
    assert "AUR package base 'aur-broken' failed to build" in done.stderr
    assert "this package never builds" in done.stderr
    # the machine was adopted as generation 0; no generation was built
    assert [g["id"] for g in generations(world.machine)] == [0]
    assert not list((world.machine.root / "var/lib/pacman/local").glob("aur-*"))
