"""Which commit a plan builds each AUR package base at (kodos/plan/aur.py), against a local AUR
of git repositories with the real git; and apply's refusal of a plan that does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.apply.aur import AurNotPlanned, to_build
from kodos.aur.errors import AurError
from kodos.aur.source import AurSource
from kodos.plan.aur import LOST_HISTORY, plan_aur
from kodos.plan.model import Action, AurBuild, Base, Change, ConfigRef, Plan, summarize
from kodos.state.generation import AurLock
from tests.support.aur import LocalAur, standard_aur
from tests.support.tools import require_root, require_tools

pytestmark = pytest.mark.system


@pytest.fixture(name="aur")
def aur_fixture(tmp_path: Path) -> LocalAur:
    require_tools("git", "makepkg", "setpriv")
    require_root()
    return standard_aur(tmp_path / "aur")


def source(aur: LocalAur, tmp_path: Path) -> AurSource:
    return AurSource(aur.url, tmp_path / "cache")


def lock(commit: str, version: str = "1.0-1", *names: str) -> AurLock:
    return AurLock(commit=commit, version=version, packages=dict.fromkeys(names, "0" * 64))


def test_a_new_base_is_at_the_aurs_commit_a_locked_one_stays(aur: LocalAur, tmp_path: Path) -> None:
    old = aur.head("aur-app")
    new = aur.bump("aur-app", "1.1")
    locks = {"aur-app": lock(old, "1.0-1", "aur-app")}
    planned = plan_aur(["aur-app", "aur-multi-cli"], source(aur, tmp_path), locks)
    assert planned.builds == [
        AurBuild(pkgbase="aur-app", packages=["aur-app"], commit=old, version="1.0-1", locked=old),
        AurBuild(
            pkgbase="aur-multi",
            packages=["aur-multi-cli"],
            commit=aur.head("aur-multi"),
            version="1.0-1",
            locked=None,
        ),
    ]
    assert planned.versions == {"aur-app": "1.0-1", "aur-multi-cli": "1.0-1"}
    upgraded = plan_aur(["aur-app"], source(aur, tmp_path), locks, upgrade=True)
    assert upgraded.builds[0].commit == new
    assert upgraded.builds[0].version == "1.1-1"
    assert upgraded.builds[0].changed_files == [".SRCINFO", "PKGBUILD"]
    assert upgraded.builds[0].moves
    assert upgraded.notes == []

    same = aur.commit(aur.packages["aur-app"], "aur-app: a comment, no new version")
    locks = {"aur-app": lock(new, "1.1-1", "aur-app")}
    moved = plan_aur(["aur-app"], source(aur, tmp_path), locks, upgrade=True)
    assert moved.builds[0].commit == same
    assert moved.notes == [
        f"AUR: aur-app moves to {same[:12]} with the same version 1.1-1: apply builds and "
        "locks it, but pacman keeps the installed package (same version)"
    ]


def test_pins_decide_and_a_missing_pin_is_refused(aur: LocalAur, tmp_path: Path) -> None:
    pinned = aur.head("aur-lib")
    aur.bump("aur-lib", "2.0")
    pin = AurBuild(
        pkgbase="aur-lib", packages=["aur-lib"], commit=pinned, version=None, locked=None
    )
    planned = plan_aur(["aur-lib"], source(aur, tmp_path), {}, upgrade=True, pins=[pin])
    assert planned.builds[0].commit == pinned
    assert planned.versions == {"aur-lib": "1.0-1"}
    missing = pin.model_copy(update={"commit": "f" * 40})
    with pytest.raises(AurError) as raised:
        plan_aur(["aur-lib"], source(aur, tmp_path), {}, pins=[missing])
    assert str(raised.value) == (
        f"the plan pins AUR package base aur-lib at commit {'f' * 40}, which cannot be had "
        f"from {aur.url} (AUR package base 'aur-lib' has no commit {'f' * 40}); nothing was "
        "applied (make a new plan)"
    )


def test_a_lost_locked_commit_and_an_unreachable_aur_are_said(
    aur: LocalAur, tmp_path: Path
) -> None:
    locks = {"aur-lib": lock("e" * 40, "0.9-1", "aur-lib")}
    planned = plan_aur(["aur-lib"], source(aur, tmp_path), locks, upgrade=True)
    assert planned.builds[0].changed_files == [LOST_HISTORY]

    gone = AurSource(f"file://{tmp_path / 'nowhere'}", tmp_path / "cache2")
    planned = plan_aur(["aur-lib"], gone, {})
    assert planned.builds == []
    assert planned.notes == [
        f"AUR: could not look up aur:aur-lib: aur_url file://{tmp_path / 'nowhere'}: "
        f"{tmp_path / 'nowhere'} is not a directory; apply cannot build them until a plan can"
    ]


def test_an_offline_plan_looks_no_new_base_up_and_keeps_the_locked_ones(
    aur: LocalAur, tmp_path: Path
) -> None:
    """A plan from --sync-dir never depends on the network: new bases are not looked up (the
    AUR here would answer), locked ones stay at their locks."""
    old = aur.head("aur-app")
    locks = {"aur-app": lock(old, "1.0-1", "aur-app")}
    planned = plan_aur(["aur-app", "aur-lib"], source(aur, tmp_path), locks, offline=True)
    assert [(b.pkgbase, b.commit) for b in planned.builds] == [("aur-app", old)]
    assert planned.notes == [
        "AUR: aur:aur-lib not looked up: this plan reads its package databases from --sync-dir, "
        "offline; a plan without --sync-dir looks them up, and apply builds them"
    ]


def _plan(changes: list[Change], builds: list[AurBuild]) -> Plan:
    return Plan(
        kodos_version="0",
        base=Base(root="/", generation=1, state_digest="x"),
        config=ConfigRef(path="c", digest="d"),
        changes=changes,
        summary=summarize(changes),
        aur=builds,
    )


def test_apply_refuses_an_aur_package_whose_commit_the_plan_does_not_know() -> None:
    create = Change(
        address="aur.package[aur-app]",
        provider="aur",
        kind="package",
        name="aur-app",
        action=Action.CREATE,
        before=None,
        after={"reason": "explicit"},
    )
    unknown = AurBuild(
        pkgbase="aur-app", packages=["aur-app"], commit=None, version=None, locked=None
    )
    for builds in ([], [unknown]):
        with pytest.raises(AurNotPlanned) as raised:
            to_build(_plan([create], builds), {})
        assert str(raised.value) == (
            "aur.package[aur-app]: the plan does not say which commit of the AUR to build (it "
            "could not consult the AUR, see its notes); nothing was applied"
        )


def test_apply_builds_every_base_when_one_is_new_or_moves_and_none_otherwise() -> None:
    a, b = "a" * 40, "b" * 40
    kept = AurBuild(pkgbase="kept", packages=["kept"], commit=a, version="1-1", locked=a)
    moved = AurBuild(pkgbase="moved", packages=["moved"], commit=b, version="2-1", locked=a)
    new = AurBuild(pkgbase="new", packages=["new"], commit=a, version="1-1", locked=None)
    locks = {"kept": lock(a, "1-1", "kept"), "moved": lock(a, "1-1", "moved")}
    # every base: the ones others need must be in the local repository (found built, not rebuilt)
    assert to_build(_plan([], [kept, moved, new]), locks) == [kept, moved, new]
    assert to_build(_plan([], [kept]), locks) == []


def _kodos(*args: str | Path) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "kodos", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_aur_diff_needs_an_aur_repository_and_a_lock(tmp_path: Path) -> None:
    require_root()
    root = tmp_path / "root"
    root.mkdir()
    plain = tmp_path / "plain.lua"
    plain.write_text('return { packages = { "htop" } }\n')
    code, out, err = _kodos("aur", "diff", "aur-app", "-c", plain, "--root", root)
    assert (code, out) == (1, "")
    assert (
        err == f"error: {plain} has no AUR repository: add one to repos with repos.aur_repo(...)\n"
    )
    with_aur = tmp_path / "aur.lua"
    with_aur.write_text(
        'return { repos = { aur = { type = "aur", helper = "yay", aur_url = "file:///nowhere" } } }\n'
    )
    code, out, err = _kodos("aur", "diff", "aur-app", "-c", with_aur, "--root", root)
    assert (code, out) == (1, "")
    assert err == (
        "error: aur:aur-app is not locked by the current generation: there is no locked commit "
        "to compare with (kodos plan shows the commit it would build)\n"
    )
