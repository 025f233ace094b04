"""What kodos may delete: a generation's own subvolume, and nothing else.

An index is a file anyone with root can edit, or damage; the subvolume it names for a
generation is therefore checked, before anything changes, against what kodos itself made:

* generation N ≥ 1: `kodos/generations/N` exactly (`@home`, `kodos/generations/../../@home`,
  another generation's path, `.`: refused);
* generation 0, the root kodos adopted: the subvolume whose Btrfs UUID the index recorded at
  adoption (an index without it: refused);
* never through a symbolic link, and never a directory that is not a Btrfs subvolume.

`check_identity` is what `rollback` asks of the generation it switches to; `check_deletable`
adds the UUID requirement for generation 0. `kodos.generations.history` adds the running,
default and mounted refusals and does the deleting.
"""

from __future__ import annotations

from pathlib import Path

from kodos.errors import KodosError
from kodos.state.index import GenerationEntry, generation_subvolume
from kodos.system import btrfs

REPAIR_HINT = "run kodos generations repair"


class DeletionRefused(KodosError):
    """The subvolume an index entry names is not the generation's own; nothing was changed."""


def subvolume_present(top: Path, subvolume: str) -> bool:
    """Whether `subvolume` is a directory under the top level, reached through no link."""
    path = top
    for part in subvolume.split("/"):
        path = path / part
        if part in ("", ".", "..") or path.is_symlink():
            return False
    return path.is_dir()


def check_deletable(top: Path, entry: GenerationEntry, shown_top: str) -> None:
    """Refuse, before anything changes, to delete a subvolume that is not the generation's
    own: `kodos/generations/N` exactly for generation N, and for the adopted generation 0
    the subvolume whose UUID the index recorded at adoption — whatever the index's
    `subvolume` field says, and never through a link. A subvolume already gone passes: there
    is nothing left to delete."""
    check_identity(top, entry, shown_top)
    if entry.id == 0 and entry.subvolume_uuid is None:
        raise DeletionRefused(
            f"generation 0's subvolume {entry.subvolume} has no UUID recorded at adoption (an "
            "index from an older kodos, or a rebuilt one): kodos deletes only the subvolume it "
            "adopted, so it will not delete this one; nothing was deleted"
        )


def check_identity(top: Path, entry: GenerationEntry, shown_top: str) -> None:
    """The entry's subvolume is the generation's own (see the module doc); `shown_top` is how
    messages name the top level mounted at `top`."""
    shown = f"{shown_top}/{entry.subvolume}"
    if entry.id != 0 and entry.subvolume != generation_subvolume(entry.id):
        raise DeletionRefused(
            f"generation {entry.id}'s index entry names subvolume {entry.subvolume!r}, not "
            f"{generation_subvolume(entry.id)}: kodos touches only the subvolumes it made; "
            f"nothing was changed ({REPAIR_HINT})"
        )
    parts = entry.subvolume.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise DeletionRefused(
            f"generation {entry.id}'s index entry names subvolume {entry.subvolume!r}, which is "
            f"not a plain path below the top level: nothing was changed ({REPAIR_HINT})"
        )
    for depth in range(1, len(parts) + 1):
        if top.joinpath(*parts[:depth]).is_symlink():
            raise DeletionRefused(
                f"{shown_top}/{'/'.join(parts[:depth])} is a symbolic link: kodos "
                f"will not follow it to generation {entry.id}'s subvolume; nothing was changed"
            )
    if not subvolume_present(top, entry.subvolume):
        return
    if entry.subvolume not in btrfs.list_subvolumes(top):
        raise DeletionRefused(
            f"generation {entry.id}'s subvolume {shown} is not a Btrfs subvolume: "
            "nothing was changed"
        )
    if entry.id == 0 and entry.subvolume_uuid is not None:
        found = btrfs.subvolume_uuid(top, entry.subvolume)
        if found != entry.subvolume_uuid:
            raise DeletionRefused(
                f"generation 0's subvolume {entry.subvolume} is not the one kodos adopted (its "
                f"UUID is {found}, the adopted one's {entry.subvolume_uuid}): nothing was changed"
            )
