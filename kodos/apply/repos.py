"""The repositories step: the mirror list and pacman.conf's sections, before any package.

`pacman.mirrorlist[PATH]` is written whole (kodos's header and its servers);
`pacman.repository[NAME]` edits one section of pacman.conf (`kodos.pacman.conf`): created
marked as kodos's at the end of pacman.conf, updated in place (only its Server/Include lines)
in the file its header is in — pacman.conf or a file it includes (`kodos.pacman.confread`) —,
deleted — the planner deletes only sections kodos added. Every other line stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.apply.work import Work, failing_as
from kodos.pacman import conf, confread
from kodos.plan.model import Action, Change
from kodos.system.atomic import write_bytes_atomic
from kodos.system.rootfs import checked_in_root, read_text_in_root

STEP = "configure repositories"
PACMAN_CONF = conf.PACMAN_CONF


def apply(work: Work, changes: Sequence[Change]) -> None:
    with failing_as(STEP, changes):
        for change in changes:
            if change.kind == "mirrorlist":
                servers = [str(server) for server in _list(work.wanted(change).get("servers"))]
                _write(work.target, change.name, conf.mirrorlist_text(servers))
        sections = [c for c in changes if c.kind == "repository"]
        if sections:
            _edit_pacman_conf(work, sections)


def _edit_pacman_conf(work: Work, changes: Sequence[Change]) -> None:
    """Each section is edited in the file its header is in (pacman.conf, or a file it
    includes, as pacman reads them); a new one goes to the end of pacman.conf."""
    try:
        where = {
            name: section.path for name, section in confread.read_repositories(work.target).items()
        }
    except FileNotFoundError:
        where = {}
    texts: dict[str, str] = {}
    for change in changes:
        path = where.get(change.name, PACMAN_CONF)
        if path not in texts:
            texts[path] = _current(work.target, path)
        if change.action == Action.DELETE:
            texts[path] = conf.without_repository(texts[path], change.name)
        else:
            include = str(work.wanted(change)["include"])
            texts[path] = conf.with_repository(texts[path], change.name, include)
    for path, text in texts.items():
        _write(work.target, path, text)


def _current(target: Path, path: str) -> str:
    try:
        return read_text_in_root(target, path)
    except FileNotFoundError:
        return ""


def _write(target: Path, path: str, text: str) -> None:
    host = Path(checked_in_root(target, path))
    host.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(host, text.encode("utf-8"), mode=0o644)  # users' pacman -Q reads them


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
