"""`kodos validate`: evaluate + validate, print a summary or every problem."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.commands.report import print_problems
from kodos.config.load import load_config
from kodos.errors import ConfigError, Problem
from kodos.text.shown import at_most, problem_count
from kodos.text.terminal import inert

if TYPE_CHECKING:
    from kodos.plan.offline import SyncOptions


def run_validate(
    path: str, lua_path: tuple[Path, ...] = (), sync: SyncOptions | None = None
) -> int:
    """Exit status 0 when the configuration is valid: the model's checks, then what `plan`
    would find before reading a machine (with `sync`, package names too) and the host's
    keymaps and locales."""
    from kodos.plan.offline import SyncOptions, check_offline

    try:
        loaded = load_config(path, lua_path=lua_path, meanwhile=_checks_after_the_model)
    except ConfigError as err:
        return _invalid(path, err.problems)
    from kodos.config.hostlists import check_against_host
    from kodos.config.summary import summary_lines

    offline = check_offline(loaded, sync or SyncOptions())
    host = check_against_host(loaded.config)
    problems = [*offline.problems, *host.problems]
    if problems:
        return _invalid(path, at_most(problems), host.notes)
    print_problems(loaded.warnings, "warning")
    print_problems(host.notes, "note")
    print(inert(f"{loaded.display_path}: valid"))
    for line in summary_lines(loaded.config):
        print(inert(line))
    if offline.checked_packages:
        print(f"every package name found in the sync databases ({offline.checked_packages})")
    return 0


def _checks_after_the_model() -> None:
    """Imported while the configuration's Lua runs in its child (kodos.config.load)."""
    import kodos.config.hostlists
    import kodos.config.summary
    import kodos.desired  # noqa: F401  (check_offline expands the configuration)


def _invalid(path: str, problems: Sequence[Problem], notes: Sequence[Problem] = ()) -> int:
    print_problems(problems)
    print_problems(notes, "note")
    count = problem_count(problems)
    print(inert(f"{path}: {count} problem{'s' if count > 1 else ''} found"), file=sys.stderr)
    return 1
