"""Dropping a package another one needs: the plan says it stays as a dependency, the applier
does exactly that, and the re-plan of the result is empty (issue 9.8).

Real pacman on a target root and a synthetic mirror whose packages cover the ways one package
needs another: by name, by `provides`, at the end of a chain, needed by a package installed by
hand, needed by a package this very plan installs, already a dependency — and, as controls,
packages nothing needs, which are still removed with `-Rs` together with what only they needed
(also when one of them was only needed through a dependency of another leaving package).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.apply.execute import execute
from kodos.pacman.localdb import InstalledPackage, InstallReason
from kodos.pacman.removal import kept_packages, with_unneeded_dependencies
from kodos.plan.build import PlanOptions, PlanResult, make_plan
from kodos.plan.model import Reason
from kodos.plan.render import render_plan
from tests.support.applying import applicable_root
from tests.support.catalog import base_packages
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Pkg, build_mirror
from tests.support.sync import mirror_sync_dir
from tests.support.target import TargetRoot
from tests.support.tools import require_root, require_tools
from tests.test_apply_execute import write_record


def _pkg(name: str, *depends: str, provides: tuple[str, ...] = ()) -> Pkg:
    return Pkg(name, "1.0-1", "extra", depends=depends, provides=provides)


PACKAGES = (
    _pkg("shell"),
    _pkg("shell-plugin", "shell"),  # by name
    _pkg("libvirtual", provides=("virt=2",)),
    _pkg("virt-user", "virt>=1"),  # by provides, with a version constraint
    _pkg("chain-bottom"),
    _pkg("chain-mid", "chain-bottom"),
    _pkg("chain-top", "chain-mid"),  # a chain through a dependency
    _pkg("hand-needed"),
    _pkg("by-hand", "hand-needed"),  # installed by hand: never in any configuration
    _pkg("old-tool"),
    _pkg("newcomer", "old-tool"),  # installed by the same plan that drops old-tool
    _pkg("dep-already"),
    _pkg("dep-user", "dep-already"),
    _pkg("lonely-lib"),
    _pkg("lonely", "lonely-lib"),  # nothing needs it: removed, and its library with it
    _pkg("pair-b"),
    _pkg("pair-glue", "pair-b"),
    _pkg("pair-a", "pair-glue"),  # pair-b is needed only by what leaves with pair-a
)
FIRST = [
    "shell",
    "shell-plugin",
    "libvirtual",
    "virt-user",
    "chain-top",
    "chain-bottom",
    "hand-needed",
    "old-tool",
    "dep-already",
    "dep-user",
    "lonely",
    "pair-a",
    "pair-b",
]
SECOND = ["shell-plugin", "virt-user", "chain-top", "dep-user", "newcomer"]
KEPT = {
    "shell": "shell-plugin",
    "libvirtual": "virt-user",
    "chain-bottom": "chain-mid",
    "hand-needed": "by-hand",
    "old-tool": "newcomer",
}
REMOVED = {"lonely", "lonely-lib", "pair-a", "pair-glue", "pair-b"}


@dataclass(frozen=True)
class Machine:
    root: TargetRoot
    sync_dir: Path
    configs: Path

    def plan(self, packages: list[str]) -> PlanResult:
        config = self.configs / "-".join(packages)[:80]
        config.mkdir(exist_ok=True)
        listed = ", ".join(f'"{name}"' for name in packages)
        (config / "configuration.lua").write_text(f"return {{ packages = {{ {listed} }} }}\n")
        options = PlanOptions(config=str(config), root=self.root.path, sync_dir=self.sync_dir)
        return make_plan(options)

    def apply(self, result: PlanResult) -> list[str]:
        """What `kodos apply` does inside the new generation: execute, then the record."""
        notes = execute(result.plan.changes, result.desired, self.root.path, esp=None)
        write_record(self.root.path, result, result.desired)
        return notes

    def installed(self, flag: str = "-Qq") -> set[str]:
        return set(self.root.query(flag))


@pytest.fixture(name="machine")
def machine_fixture(tmp_path: Path) -> Iterator[Machine]:
    require_tools(*PACMAN_TOOLS)
    require_root()
    mirror = build_mirror(tmp_path / "mirror", [*base_packages(), *PACKAGES])
    root = applicable_root(tmp_path, mirror)
    (tmp_path / "configs").mkdir()
    machine = Machine(root, mirror_sync_dir(mirror, tmp_path / "sync"), tmp_path / "configs")
    machine.apply(machine.plan(FIRST))
    root.pacman("-S", "--noconfirm", "--noprogressbar", "by-hand")
    root.pacman("-D", "--asdeps", "dep-already")  # a managed package already a dependency
    yield machine


@pytest.mark.system
def test_the_plan_keeps_what_is_needed_and_the_apply_converges(machine: Machine) -> None:
    second = machine.plan(SECOND)

    actions = {
        c.name: (c.action.value, c.changed, c.reason, c.needed_by) for c in second.plan.changes
    }
    kept_as, gone = Reason.KEPT_AS_DEPENDENCY, Reason.NO_LONGER_CONFIGURED
    assert actions == {
        **{name: ("update", ["reason"], kept_as, by) for name, by in KEPT.items()},
        "newcomer": ("create", [], None, None),
        "lonely": ("delete", [], gone, None),
        "pair-a": ("delete", [], gone, None),
        "pair-b": ("delete", [], gone, None),
        # what `-Rs` takes along with them, shown as deletes of their own
        "lonely-lib": ("delete", [], Reason.TAKEN_ALONG, None),
        "pair-glue": ("delete", [], Reason.TAKEN_ALONG, None),
    }
    taken = {c.name: c.dependency_of for c in second.plan.changes if c.dependency_of}
    assert taken == {"lonely-lib": "lonely", "pair-glue": "pair-a"}
    assert (
        "  - pacman.package[lonely-lib]  (dependency of lonely, removed with it)  "
        'reason="dependency" version="1.0-1"\n'
    ) in render_plan(second.plan)
    kept = next(c for c in second.plan.changes if c.name == "shell")
    assert (kept.before or {})["reason"] == "explicit"
    assert (kept.after or {})["reason"] == "dependency"
    assert (
        "  ~ pacman.package[shell]  (kept: needed by shell-plugin)\n"
        '      reason: "explicit" -> "dependency"\n'
    ) in render_plan(second.plan)

    notes = machine.apply(second)

    # The applier had nothing to decide on its own: the plan already said what it did.
    assert not [note for note in notes if "kept" in note]
    assert KEPT.keys() <= machine.installed("-Qdq")
    assert not REMOVED & machine.installed()
    assert "dep-already" in machine.installed("-Qdq")
    assert machine.plan(SECOND).plan.changes == []


@pytest.mark.system
def test_a_plan_before_the_record_is_written_agrees_with_the_applier(machine: Machine) -> None:
    """The apply's verification plans the new generation while it still carries the old
    record (the old managed set): it must find nothing left to do."""
    second = machine.plan(SECOND)
    execute(second.plan.changes, second.desired, machine.root.path, esp=None)

    assert machine.plan(SECOND).plan.changes == []


@pytest.mark.system
def test_dropping_what_was_kept_later_removes_it_once_nothing_needs_it(machine: Machine) -> None:
    machine.apply(machine.plan(SECOND))
    # The configuration now drops the dependents too: shell goes with shell-plugin.
    third = machine.plan(["chain-top"])

    deletes = {c.name: c.dependency_of for c in third.plan.changes if c.action.value == "delete"}
    assert deletes == {
        **dict.fromkeys(("shell-plugin", "virt-user", "dep-user", "newcomer")),
        "shell": "shell-plugin",
        "libvirtual": "virt-user",
        "dep-already": "dep-user",
        "old-tool": "newcomer",
    }
    machine.apply(third)
    assert not {"shell", "libvirtual", "old-tool", "dep-already"} & machine.installed()
    assert "chain-bottom" in machine.installed("-Qdq")  # chain-top still needs it
    assert machine.plan(["chain-top"]).plan.changes == []


# ---- the rules, without pacman ---------------------------------------------------------------


def _installed(*specs: tuple[str, InstallReason, tuple[str, ...]]) -> dict[str, InstalledPackage]:
    return {
        name: InstalledPackage(name, "1-1", reason, depends=depends)
        for name, reason, depends in specs
    }


EXPLICIT, DEPENDENCY = InstallReason.EXPLICIT, InstallReason.DEPENDENCY


def test_a_dependency_shared_with_a_staying_package_stays() -> None:
    installed = _installed(
        ("a", EXPLICIT, ("lib",)),
        ("b", EXPLICIT, ("lib",)),
        ("lib", DEPENDENCY, ()),
    )

    assert with_unneeded_dependencies({"a"}, installed) == {"a"}
    assert with_unneeded_dependencies({"a", "b"}, installed) == {"a", "b", "lib"}
    assert kept_packages({"a"}, installed) == {}


def test_a_cycle_of_dependencies_stays_as_pacman_leaves_it() -> None:
    """libalpm takes a dependency along only when everything needing it leaves: y and z need
    each other, so `-Rs x` leaves both (a pacman limitation kodos must predict, not fix)."""
    installed = _installed(
        ("x", EXPLICIT, ("y",)),
        ("y", DEPENDENCY, ("z",)),
        ("z", DEPENDENCY, ("y",)),
        ("keeper", EXPLICIT, ()),
    )

    assert with_unneeded_dependencies({"x"}, installed) == {"x"}
    assert kept_packages({"x", "keeper"}, installed) == {}
    assert with_unneeded_dependencies({"x", "y"}, installed) == {"x", "y", "z"}
