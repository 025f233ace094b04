"""`kodos apply` on a real Btrfs machine dropping a package that others still need (issue 9.8):
zsh leaves the configuration while zsh-autosuggestions and zsh-completions, which depend on
it, stay. The apply keeps zsh as a dependency, its verification agrees, the generation no
longer manages zsh, and the next plan and apply of the same configuration have nothing to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodos.system.btrfs import top_level
from tests.support.btrfs import BtrfsMachine
from tests.support.target import TargetRoot
from tests.test_apply import FIRST, apply, generations, kodos, write_config

pytestmark = pytest.mark.system

WITH_ZSH = FIRST.replace('"htop"', '"htop", "zsh", "zsh-autosuggestions", "zsh-completions"')
WITHOUT_ZSH = FIRST.replace('"htop"', '"htop", "zsh-autosuggestions", "zsh-completions"')


def test_dropping_a_needed_package_converges(btrfs_machine: BtrfsMachine, tmp_path: Path) -> None:
    first = apply(btrfs_machine, write_config(tmp_path, WITH_ZSH, "with"))
    assert first.returncode == 0, first.stderr
    config = write_config(tmp_path, WITHOUT_ZSH, "without")

    second = apply(btrfs_machine, config)

    assert second.returncode == 0, second.stderr
    assert "~ pacman.package[zsh]  (kept: needed by zsh-autosuggestions)" in second.stdout
    assert '      reason: "explicit" -> "dependency"' in second.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in second.stdout
    assert second.stdout.rstrip().endswith("Built generation 2; it boots next.")
    with top_level(btrfs_machine.fs) as top:
        generation = top / "kodos/generations/2"
        record = json.loads((generation / "var/lib/kodos/generation.json").read_text())
        pacman = TargetRoot(generation, generation / "etc/pacman.conf")
        dependencies = pacman.query("-Qdq")
    assert "pacman.package[zsh]" not in record["managed"]
    assert "zsh" in dependencies

    third = kodos("plan", "-c", config, "--root", btrfs_machine.root, "--detailed-exitcode")
    assert third.returncode == 0, third.stdout + third.stderr
    assert third.stdout.rstrip().endswith("No changes. The system matches the configuration.")
    again = apply(btrfs_machine, config)
    assert again.returncode == 0, again.stderr
    assert [g["id"] for g in generations(btrfs_machine)] == [0, 1, 2]
