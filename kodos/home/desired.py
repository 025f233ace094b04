"""What the renderers asked for (`HomeWanted`) → the entries a generation places in the home.

Files and links become entries as they are; a user unit becomes its unit file under
`~/.config/systemd/user/` (unless it is the package's own) and one `.wants` link per target,
as `systemctl --user enable` would make them — written offline, so enabling needs no running
user manager. Every path is checked here, once, with the configuration path that asked for
it: a path that leaves the home, or two items wanting one path differently, is a located
problem and no plan is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import ConfigError, Problem
from kodos.home.homefs import check_relative
from kodos.home.items import HomeWanted, file_address, link_address, unit_address
from kodos.home.manifest import Entry, Tree, Unit

USER_UNIT_DIR = ".config/systemd/user"
PACKAGED_USER_UNITS = "/usr/lib/systemd/user"


@dataclass(frozen=True, slots=True)
class Desired:
    """One entry and, for a file, its content."""

    entry: Entry
    content: bytes | None = None


@dataclass(frozen=True, slots=True)
class DesiredHome:
    entries: list[Desired]
    dconf: dict[str, str]
    units: list[Unit]
    trees: list[Tree]


def desired_home(wanted: HomeWanted, home: Path) -> DesiredHome:
    entries: dict[str, Desired] = {}
    problems: list[Problem] = []

    def usable(path: str, source: str) -> bool:
        problem = check_relative(path)
        if problem:
            problems.append(Problem(source, f"~/{path}: {problem}"))
        return problem is None

    def add(desired: Desired) -> None:
        entry = desired.entry
        earlier = entries.get(entry.path)
        if earlier is not None and earlier != desired:
            problems.append(
                Problem(
                    entry.source,
                    f"~/{entry.path} is also wanted, differently, by {earlier.entry.source}",
                )
            )
            return
        entries[entry.path] = desired

    for file in wanted.files:
        if usable(file.path, file.source):
            add(_file(file.path, file.content, file.mode, file_address(file.path), file.source))
    for link in wanted.links:
        if usable(link.path, link.source):
            add(_link(link.path, link.target, link.source))
    for unit in wanted.units:
        if not usable(f"{USER_UNIT_DIR}/{unit.name}", unit.source):
            continue
        unit_file = f"{USER_UNIT_DIR}/{unit.name}"
        if unit.content is not None:
            add(_file(unit_file, unit.content, 0o644, unit_address(unit.name), unit.source))
            target = str(home / unit_file)
        else:
            target = f"{PACKAGED_USER_UNITS}/{unit.name}"
        for wanted_by in unit.wanted_by:
            path = f"{USER_UNIT_DIR}/{wanted_by}.wants/{unit.name}"
            if usable(path, unit.source):
                add(_link(path, target, unit.source))
    dconf: dict[str, str] = {}
    for key in wanted.dconf:
        if key.key in dconf and dconf[key.key] != key.value:
            problems.append(Problem(key.source, f"dconf key {key.key} is set twice, differently"))
        dconf[key.key] = key.value
    if problems:
        raise ConfigError(problems)
    units = [Unit(name=u.name, wanted_by=list(u.wanted_by), source=u.source) for u in wanted.units]
    trees = [Tree(name=t.name, commit=t.commit, source=t.source) for t in wanted.trees]
    ordered = [entries[path] for path in sorted(entries)]
    return DesiredHome(ordered, dict(sorted(dconf.items())), units, trees)


def _file(path: str, content: bytes, mode: int, address: str, source: str) -> Desired:
    digest = hashlib.sha256(content).hexdigest()
    entry = Entry(path=path, kind="file", address=address, source=source, sha256=digest,
                  mode=mode)  # fmt: skip
    return Desired(entry, content)


def _link(path: str, target: str, source: str) -> Desired:
    return Desired(
        Entry(path=path, kind="link", address=link_address(path), source=source, target=target)
    )
