"""`kodos validate`: evaluate + validate, print a summary or every problem."""

from __future__ import annotations

import sys
from pathlib import Path

from kodos.commands.report import print_problems
from kodos.config.load import load_config
from kodos.errors import ConfigError
from kodos.text.shown import problem_count
from kodos.text.terminal import inert


def run_validate(path: str, lua_path: tuple[Path, ...] = ()) -> int:
    try:
        loaded = load_config(path, lua_path=lua_path)
    except ConfigError as err:
        print_problems(err.problems)
        count = problem_count(err.problems)
        print(inert(f"{path}: {count} problem{'s' if count > 1 else ''} found"), file=sys.stderr)
        return 1
    from kodos.config.summary import summary_lines  # the model, loaded by now

    print_problems(loaded.warnings, "warning")
    print(inert(f"{loaded.display_path}: valid"))
    for line in summary_lines(loaded.config):
        print(inert(line))
    return 0
