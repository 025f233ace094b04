"""Is `--root` a directory kodos can manage? Checked before anything is read from it.

* An empty `--root ""` would mean the current directory: refused, not guessed.
* A root on a pseudo file system (`/proc`, `/sys`, `/dev`, cgroups…) holds no machine: read as
  one, it would plan as an empty machine. The file system is found in this process's
  `/proc/self/mountinfo` (the mount holding the path, after resolving links).
* A root that is another distribution (no pacman database at `var/lib/pacman/local`, and an
  `os-release` whose `ID` is not `arch` and whose `ID_LIKE` does not name it) is refused with
  what it is. A root with neither a pacman database nor an `os-release` is a fresh, empty
  machine — what `kodos install` fills and what install previews plan — and is planned as one.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from kodos.errors import KodosError

PSEUDO_FILE_SYSTEMS = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
        "tracefs", "configfs", "pstore", "bpf", "efivarfs", "mqueue", "hugetlbfs", "fusectl",
        "binfmt_misc", "autofs", "rpc_pipefs", "nsfs", "selinuxfs", "nfsd",
    }
)  # fmt: skip
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")  # the order os-release(5) gives
LOCAL_DB = "var/lib/pacman/local"
_OS_RELEASE_LIMIT = 64 * 1024


def checked_root(value: str | Path) -> Path:
    """The `--root` option's value, refused when empty or on a pseudo file system."""
    text = str(value)
    if text == "":
        raise KodosError('--root "": an empty path; name the root directory (/ for this machine)')
    root = Path(text)
    fstype = file_system_type(root)
    if fstype in PSEUDO_FILE_SYSTEMS:
        raise KodosError(
            f"--root {root}: on a {fstype} pseudo file system, not the root directory of a machine"
        )
    return root


def file_system_type(path: Path) -> str | None:
    """The type of the file system holding `path` (its nearest existing ancestor), as this
    process's mountinfo lists it; None when it cannot be told."""
    resolved = os.path.realpath(path)
    while not os.path.lexists(resolved) and resolved != "/":
        resolved = os.path.dirname(resolved)
    best, fstype = "", None
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                fields = line.split()
                # mount ID, parent, major:minor, root, MOUNT POINT, options, [optional…] - TYPE
                point = _unescape(fields[4])
                separator = fields.index("-")
                if _contains(point, resolved) and len(point) >= len(best):
                    best, fstype = point, fields[separator + 1]
    except (OSError, ValueError, IndexError):
        return None
    return fstype


def refuse_other_distribution(root: Path) -> None:
    """Refuse a root that is another distribution than Arch Linux (see the module's rules)."""
    if (root / LOCAL_DB).is_dir():
        return
    fields = os_release(root)
    if not fields:
        return  # an empty machine: planned as a fresh install
    if fields.get("ID") == "arch" or "arch" in fields.get("ID_LIKE", "").split():
        return
    name = fields.get("PRETTY_NAME") or fields.get("NAME") or fields.get("ID", "unknown")
    raise KodosError(
        f"--root {root}: not an Arch Linux system ({name}, ID={fields.get('ID', '')}) and no "
        f"pacman database at {root / LOCAL_DB}; kodos manages Arch Linux machines"
    )


def os_release(root: Path) -> dict[str, str]:
    """The fields of the root's os-release (empty when it has none), read inside the root."""
    for relative in OS_RELEASE:
        path = _inside(root, relative)
        if path is not None and path.is_file():
            try:
                with path.open("rb") as stream:
                    text = stream.read(_OS_RELEASE_LIMIT).decode("utf-8", errors="replace")
            except OSError:
                continue
            return _parse_os_release(text)
    return {}


def _inside(root: Path, relative: str) -> Path | None:
    """`root/relative`, following a link in its last part as it would be followed inside the
    root (Arch's etc/os-release links to ../usr/lib/os-release; an absolute target is taken
    inside the root, never on the host). None for a link out of the root or a chain of links."""
    path = root / relative
    if not path.is_symlink():
        return path
    target = os.readlink(path)
    joined = root / target.lstrip("/") if target.startswith("/") else path.parent / target
    normal = Path(os.path.normpath(joined))
    if not _contains(str(Path(os.path.normpath(root))), str(normal)) or normal.is_symlink():
        return None
    return normal


def _parse_os_release(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, equals, value = line.strip().partition("=")
        if not equals or key.startswith("#"):
            continue
        try:
            words = shlex.split(value)
        except ValueError:
            continue
        fields[key] = " ".join(words)
    return fields


def _contains(directory: str, path: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes."""
    for escape, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(escape, char)
    return field
