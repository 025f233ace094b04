"""systemd unit file enablement computed from files: what `systemctl --root=R is-enabled` says.

This follows systemd's own algorithm (`src/shared/install.c`: `unit_file_lookup_state`) on an
index of the root's unit directories built once, so hundreds of units are judged in a few
milliseconds without a `systemctl` process per unit. In short, for a unit NAME:

1. Find it: the first unit directory of the search path (highest priority first) holding NAME,
   for an instance `a@b.service` the template `a@.service` if NAME itself is nowhere. A symlink
   or empty file whose target is `/dev/null` or empty masks the unit; a symlink into the search
   path is an alias (followed to its target's name); one out of it is a linked unit file.
2. State: `masked`; `alias` when NAME is another name of a unit; `generated` or `transient`
   for units in those runtime directories; otherwise look for enablement symlinks — names in
   `*.wants/`, `*.requires/`, `*.upholds/` (only the link's *name* counts: NAME itself, or an
   instance of template NAME) and top-level symlinks to NAME. Found in the persistent
   configuration directory (`etc/systemd/system` or `etc/systemd/user`) under a name the
   unit's `[Install]` section would create → `enabled`; under another name → `indirect`;
   in `/run` → `enabled-runtime`; an instance linked from `/usr` → `static`; only a link of
   the same name to the unit file (`systemctl link`) → `linked`; none → `disabled` if
   `[Install]` has `WantedBy=`, `RequiredBy=`, `UpheldBy=` or `Alias=`, `indirect` if it has
   only `Also=`, else `static`. Drop-ins (`NAME.d/*.conf`) add to `[Install]`.

The runtime directories under `/run` are part of the search path as for systemctl: on a live
machine they hold generated and transient units, and runtime enablement or masks.
`UpheldBy=` and `*.upholds/` count as in systemd 254 and later (Arch); systemd 252 ignores
them. A drop-in linked to `/dev/null` is a masked drop-in here; systemctl 252 fails on it when
the root has no `dev/null` node.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path

from kodos.system.rootfs import resolve_in_root
from kodos.text.lazyregex import lazy

UNIT_TYPES = (
    *("service", "socket", "target", "device", "mount", "automount"),
    *("swap", "timer", "path", "slice", "scope"),
)
TEMPLATABLE_TYPES = frozenset(("service", "socket", "target", "timer", "path"))
ALIASABLE_TYPES = frozenset(("service", "socket", "target", "device", "timer", "path"))
_UNIT_NAME = lazy(
    r"(?P<prefix>[A-Za-z0-9:_.\\-]+?)(?:@(?P<instance>[A-Za-z0-9:_.\\@-]*))?"
    rf"\.(?P<type>{'|'.join(UNIT_TYPES)})"
)
_INSTALL_HEADER = lazy(r"^[ \t]*\[Install\]", re.MULTILINE)
ENABLEMENT_DIRS = (".wants", ".requires", ".upholds")
FOLLOW_MAX = 64  # systemd's UNIT_FILE_FOLLOW_SYMLINK_MAX

# (directory inside the root, role), highest priority first — systemd's lookup paths for
# `--root` (path-lookup.c), checked against systemctl 252 one pair of directories at a time.
SYSTEM_SEARCH_PATH = (
    ("etc/systemd/system.control", ""),
    ("run/systemd/system.control", ""),
    ("run/systemd/transient", "transient"),
    ("run/systemd/generator.early", "generator"),
    ("etc/systemd/system", "config"),
    ("etc/systemd/system.attached", ""),
    ("run/systemd/system", ""),
    ("run/systemd/system.attached", ""),
    ("run/systemd/generator", "generator"),
    ("usr/local/lib/systemd/system", ""),
    ("usr/lib/systemd/system", ""),
    ("lib/systemd/system", ""),  # split-/usr systems; on Arch the same directory as above
    ("run/systemd/generator.late", "generator"),
)
GLOBAL_SEARCH_PATH = (  # `systemctl --global`: units for every user
    ("etc/systemd/user", "config"),
    ("run/systemd/user", ""),
    ("usr/local/share/systemd/user", ""),
    ("usr/share/systemd/user", ""),
    ("usr/local/lib/systemd/user", ""),
    ("usr/lib/systemd/user", ""),
)


class UnitError(Exception):
    """systemctl could not tell this unit's state either (a dangling or invalid link)."""


class Mode(Enum):
    REGULAR = "regular"
    MASKED = "masked"
    ALIAS = "alias"  # a symlink to another name inside the search path
    LINKED = "linked"  # a symlink to a file outside the search path


@cache  # pure, and asked about the same few hundred names many times over
def split_name(name: str) -> tuple[str, str | None, str] | None:
    """(prefix, instance, type) of a valid unit name — instance None for a plain unit, "" for
    a template — or None when systemd would not accept the name."""
    match = _UNIT_NAME.fullmatch(name)
    if match is None or len(name) > 255:
        return None
    return match["prefix"], match["instance"], match["type"]


def template_of(name: str) -> str | None:
    """`getty@tty1.service` → `getty@.service`; None when `name` is not an instance."""
    parts = split_name(name)
    if parts is None or not parts[1]:
        return None
    return f"{parts[0]}@.{parts[2]}"


@dataclass
class UnitDirectory:
    """One directory of the search path, listed once."""

    path: str  # host path, symlinks resolved inside the root
    role: str  # "config" (enablement counts as enabled), "generator", "transient" or ""
    runtime: bool
    entries: dict[str, str] = field(default_factory=dict)  # name → "link", "file" or "other"
    has_links: bool = False  # any enablement or top-level link at all (most directories: no)
    links_to: dict[str, list[str]] = field(default_factory=dict)  # target base name → links
    enablement: set[str] = field(default_factory=set)  # link names in *.wants/ and the like
    instances: dict[str, set[str]] = field(default_factory=dict)  # template → those names
    dropins: set[str] = field(default_factory=set)  # names of `NAME.d` directories

    def scan(self) -> None:
        try:
            listing = list(os.scandir(self.path))
        except OSError:
            return  # missing or unreadable: systemd skips such directories too
        for entry in listing:
            if entry.is_symlink():
                self.entries[entry.name] = "link"
                target = os.readlink(entry.path).rstrip("/").rpartition("/")[2]
                self.links_to.setdefault(target, []).append(entry.name)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name.endswith(ENABLEMENT_DIRS):
                    self._scan_enablement(entry.path)
                elif entry.name.endswith(".d"):
                    self.dropins.add(entry.name)
            else:
                self.entries[entry.name] = "file" if entry.is_file() else "other"
        self.has_links = bool(self.links_to or self.enablement)

    def _scan_enablement(self, path: str) -> None:
        try:
            links = [e.name for e in os.scandir(path) if e.is_symlink()]
        except OSError:
            return
        for name in links:
            self.enablement.add(name)
            template = template_of(name)
            if template is not None:
                self.instances.setdefault(template, set()).add(name)


@dataclass
class UnitFile:
    """A unit as systemd loads it to judge its state (install.c's InstallInfo)."""

    name: str
    path: str
    mode: Mode
    target: str | None = None  # for ALIAS and LINKED: the link's target (host path)
    text: str | None = None  # for REGULAR: the unit file's text
    rules: dict[str, list[str]] = field(default_factory=dict)  # WantedBy=, Alias=, …
    also: list[str] = field(default_factory=list)
    default_instance: str | None = None

    def has_rules(self) -> bool:
        return any(self.rules.values())

    def known_names(self) -> set[str]:
        """The names `systemctl enable` would create links under (is_symlink_with_known_name)."""
        names = {self.name}
        for alias in self.rules.get("Alias", ()):
            expanded = expand_specifiers(alias, self.name, self.default_instance)
            if expanded is not None:
                names.add(expanded)
        parts = split_name(self.name)
        if self.default_instance and parts is not None and parts[1] == "":
            names.add(f"{parts[0]}@{self.default_instance}.{parts[2]}")
        return names


def expand_specifiers(text: str, name: str, default_instance: str | None) -> str | None:
    """`%n`, `%N`, `%p`, `%i`, `%j`, `%%` as install-printf.c expands them for a unit `name`;
    None for any other specifier (host-dependent ones cannot be known for another root)."""
    parts = split_name(name)
    if parts is None:
        return None
    prefix, instance, _ = parts
    values = {
        "n": name,
        "N": name.rpartition(".")[0],
        "p": prefix,
        "i": instance or default_instance or "",
        "j": prefix.rpartition("-")[2],
        "%": "%",
    }
    out, i = [], 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text):
            value = values.get(text[i + 1])
            if value is None:
                return None
            out.append(value)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_install(text: str, unit: UnitFile) -> None:
    """Add the `[Install]` settings of a unit file or drop-in `text` to `unit`."""
    # Most of a unit file is other sections: start at the first `[Install]` line, if any.
    start = _INSTALL_HEADER.search(text)
    if start is None:
        return
    section = ""
    for line in _logical_lines(text[start.start() :]):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if section != "Install" or not sep:
            continue
        key, value = key.strip(), value.strip()
        words = [w.strip("\"'") for w in value.split()]
        unit_type = unit.name.rpartition(".")[2]
        if key in ("WantedBy", "RequiredBy", "UpheldBy") or (
            key == "Alias" and unit_type in ALIASABLE_TYPES  # systemd ignores Alias= for the rest
        ):
            # An empty assignment resets the list, as for every list setting of systemd.
            unit.rules[key] = unit.rules.get(key, []) + words if words else []
        elif key == "Also":
            unit.also.extend(words)
        elif key == "DefaultInstance" and (split_name(unit.name) or ("", None, ""))[1] == "":
            unit.default_instance = expand_specifiers(value, unit.name, None) or None


def _logical_lines(text: str) -> list[str]:
    """Lines as systemd's parser sees them: stripped, comments dropped, a trailing backslash
    joining the next line (replaced by a space)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return [line for line in lines if line]


def null_or_empty(path: str) -> bool:
    """A file that masks what it stands for: empty, or a device node such as /dev/null."""
    try:
        return is_null_or_empty(os.stat(path))
    except OSError:
        return False


def is_null_or_empty(status: os.stat_result) -> bool:
    if stat.S_ISREG(status.st_mode):
        return status.st_size == 0
    return stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode)


def search_path(root: Path, entries: tuple[tuple[str, str], ...]) -> list[UnitDirectory]:
    """The scanned directories of a search path; one directory reached twice (`lib` is a
    symlink to `usr/lib` on Arch) counts once, at its first position, as in systemd."""
    directories: list[UnitDirectory] = []
    seen: set[str] = set()
    for relative, role in entries:
        path = resolve_in_root(root, relative)
        if path in seen:
            continue
        seen.add(path)
        directory = UnitDirectory(path, role, runtime=relative.startswith("run/"))
        directory.scan()
        directories.append(directory)
    return directories
