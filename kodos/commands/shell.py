"""`kodos shell -p PKG… [-- COMMAND]`, `--list` and `--gc`: see docs/shell.md."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from kodos.commands.report import print_error
from kodos.shell.process import ShellFailure


def run_shell(root: Path, packages: Sequence[str], command: Sequence[str]) -> int:
    from kodos.shell.session import ShellOptions, open_shell

    try:
        return open_shell(ShellOptions(root, packages, command))
    except ShellFailure as err:
        print_error(f"error: {err}")
        return err.exit_code


def run_list() -> int:
    from kodos.shell.cache import cache_directory, cached

    directory = cache_directory()
    environments = cached(directory)
    if not environments:
        print(f"no environments cached in {directory}")
        return 0
    for environment in environments:
        size = environment.size() / 2**20
        packages = " ".join(environment.packages)
        print(f"{environment.key}  {size:7.1f} MiB  {environment.root}  {packages}")
    return 0


def run_gc() -> int:
    from kodos.shell.cache import cache_directory, prepare, remove_unused

    directory = cache_directory()
    if not directory.exists():
        print(f"no environments cached in {directory}")
        return 0
    removed, busy = remove_unused(prepare(directory))
    print(f"removed {len(removed)} environment(s) from {directory}")
    for key in busy:
        print(f"kept {key}: a shell is using it", file=sys.stderr)
    return 0
