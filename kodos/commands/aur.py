"""`kodos aur diff NAME`: the whole change of an AUR package's base since its locked commit.

The current generation's record (the one that boots next) locks each AUR package base at a
commit; this fetches the base into kodos's mirror cache and prints `git diff` from the locked
commit to the AUR's current one — PKGBUILD, `.install` files, patches: what `plan --upgrade`
lists by file name and `apply --upgrade` would build. The text comes from the AUR, so it is
made inert before it reaches the terminal.
"""

from __future__ import annotations

from pathlib import Path

from kodos.errors import KodosError
from kodos.text.terminal import inert_lines


class AurDiffError(KodosError):
    """`kodos aur diff` cannot compare: no AUR repository, or nothing locked."""


def run_aur_diff(config: str, root: Path, name: str, lua_path: tuple[Path, ...]) -> int:
    from kodos.config.load import load_config
    from kodos.plan.aur import aur_repo, open_source

    loaded = load_config(config, lua_path=lua_path)
    repo = aur_repo(loaded.config)
    if repo is None:
        raise AurDiffError(
            f"{loaded.display_path} has no AUR repository: add one to repos with "
            "repos.aur_repo(...)"
        )
    pkgbase, locked = _locked(root, name)
    source = open_source(repo)
    current = source.fetch(pkgbase)
    if current == locked:
        print(f"{name}: the AUR has {pkgbase} at the locked commit {locked}: nothing changed")
        return 0
    print(f"{name}: {pkgbase} {locked} (locked) -> {current} (the AUR's)")
    print(inert_lines(source.diff(pkgbase, locked, current)), end="")
    return 0


def _locked(root: Path, name: str) -> tuple[str, str]:
    """The base locking package `name` in the record of the generation that boots next, and
    its commit."""
    from kodos.generations.baseroot import planning_root
    from kodos.state.generation import read_record

    with planning_root(root) as (base_root, _note):
        record = read_record(base_root, str(root))
    locks = record.aur if record is not None else {}
    for pkgbase, lock in sorted(locks.items()):
        if name in lock.packages or name == pkgbase:
            return pkgbase, lock.commit
    raise AurDiffError(
        f"aur:{name} is not locked by the current generation: there is no locked commit to "
        "compare with (kodos plan shows the commit it would build)"
    )
