"""`copy_file(source)`: the source must be a regular file inside the configuration directory.

The model has checked the path's shape (relative, no `..`); what it names can only be checked
against the directory: a link in it may lead elsewhere (the home must not receive a copy of
/etc/shadow because a configuration linked to it), and a missing file is better reported by
`kodos validate` than by a failed `kodos user apply`.
"""

from __future__ import annotations

from pathlib import Path

from kodos.config.model import Config
from kodos.errors import Problem
from kodos.text.location import config_path
from kodos.text.shown import quoted


def check_copied_files(config: Config, config_dir: Path) -> list[Problem]:
    problems = []
    top = config_dir.resolve()
    for user_name, user in sorted(config.users.items()):
        for target, copy in sorted(user.files.items()):
            location = config_path(("users", user_name, "files", target, "source"))
            problem = _source_problem(top, copy.source)
            if problem:
                problems.append(Problem(location, problem))
    return problems


def _source_problem(top: Path, source: str) -> str | None:
    path = (top / source).resolve()
    if not path.is_relative_to(top):
        return f"{quoted(source)} leads out of the configuration directory through a link"
    if not path.is_file():
        return f"{quoted(source)} is not a file in the configuration directory"
    return None
