"""The repositories step: the mirror list and pacman.conf's sections, before any package.

`pacman.mirrorlist[PATH]` is written whole (kodos's header and its servers);
`pacman.repository[NAME]` edits one section of pacman.conf (`kodos.pacman.conf`): created
marked as kodos's, updated in place (only its Server/Include lines), deleted — the planner
deletes only sections kodos added. pacman.conf's other lines stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.apply.work import Work, failing_as
from kodos.pacman import conf
from kodos.plan.model import Action, Change
from kodos.system.atomic import write_bytes_atomic
from kodos.system.rootfs import checked_in_root, read_text_in_root

STEP = "configure repositories"
PACMAN_CONF = "/etc/pacman.conf"


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
    try:
        text = read_text_in_root(work.target, PACMAN_CONF)
    except FileNotFoundError:
        text = ""
    for change in changes:
        if change.action == Action.DELETE:
            text = conf.without_repository(text, change.name)
        else:
            text = conf.with_repository(text, change.name, str(work.wanted(change)["include"]))
    _write(work.target, PACMAN_CONF, text)


def _write(target: Path, path: str, text: str) -> None:
    host = Path(checked_in_root(target, path))
    host.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(host, text.encode("utf-8"), mode=0o644)  # users' pacman -Q reads them


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
