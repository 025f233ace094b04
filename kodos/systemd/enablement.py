"""The enablement state of units: systemd's `unit_file_lookup_state` over a `UnitTable`.

See `kodos.systemd.unitfiles` for the algorithm in words; the functions here keep systemd's names
in their docstrings (install.c) so each step can be checked against the original.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from kodos.system.rootfs import inside, resolve_in_root
from kodos.systemd.unitfiles import (
    ALIASABLE_TYPES,
    FOLLOW_MAX,
    TEMPLATABLE_TYPES,
    Mode,
    UnitDirectory,
    UnitError,
    UnitFile,
    is_null_or_empty,
    null_or_empty,
    parse_install,
    search_path,
    split_name,
    template_of,
)


class UnitTable:
    """The units of one root in one scope (system, or global user units)."""

    def __init__(self, root: Path, entries: tuple[tuple[str, str], ...]) -> None:
        self.root = os.fspath(root)
        self.directories = search_path(root, entries)
        self._prefixes = tuple(d.path + "/" for d in self.directories)
        self._parents: dict[str, str] = {}

    def names(self) -> set[str]:
        """Every unit name the directories hold, and instances enabled by name."""
        found: set[str] = set()
        for directory in self.directories:
            found.update(name for name in directory.entries if split_name(name))
            found.update(name for name in directory.enablement if template_of(name))
        return found

    def state(self, name: str) -> str | None:
        """What `systemctl is-enabled NAME` prints; None when there is no such unit.
        Raises `UnitError` where systemctl fails too (a dangling alias, say)."""
        if split_name(name) is None:
            return None
        unit = self.discover(name)
        if unit is None:
            return None
        if unit.mode is Mode.MASKED:
            return "masked-runtime" if self._is_runtime(unit.path) else "masked"
        if name != os.path.basename(unit.path) and not template_of(unit.name):
            return "alias"  # NAME is another name of a unit
        parent = self._directory_of(unit.path)
        if parent is not None and parent.role in ("generator", "transient"):
            return "generated" if parent.role == "generator" else "transient"
        state = self._find_links(unit, match_name=True)
        if state is not None:
            return state
        if self._find_links(unit, match_name=False) is not None:
            return "indirect"  # linked under names its [Install] section would not create
        if unit.has_rules():
            return "disabled"
        return "indirect" if unit.also else "static"

    def discover(self, name: str) -> UnitFile | None:
        """install_info_discover: find NAME and follow aliases and links to a unit file."""
        unit = self._search(name)
        if unit is None:
            return None
        for _ in range(FOLLOW_MAX):
            if unit.mode in (Mode.REGULAR, Mode.MASKED):
                break
            unit = self._follow(unit)
        else:
            raise UnitError(f"{name}: too many levels of symbolic links")
        if unit.mode is Mode.REGULAR:
            self._load_install(unit)
        return unit

    def _search(self, name: str) -> UnitFile | None:
        """unit_file_search: the first directory holding NAME, else its template."""
        for candidate in (name, template_of(name)):
            if candidate is None:
                continue
            for directory in self.directories:
                if candidate in directory.entries:
                    return self._load(name, os.path.join(directory.path, candidate))
        return None

    def _load(self, name: str, path: str) -> UnitFile:
        """unit_file_load_or_readlink: what the file at `path` makes of unit NAME."""
        try:
            # O_NOFOLLOW: a symlink fails with ELOOP and is read as a link below; anything
            # else is opened once, for its type and its text (most units are regular files).
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            if err.errno == errno.ELOOP:
                return self._read_link(name, path)
            raise UnitError(f"{inside(self.root, path)}: {err.strerror}") from None
        with os.fdopen(fd, "rb") as stream:
            status = os.fstat(fd)
            if is_null_or_empty(status):
                return UnitFile(name, path, Mode.MASKED)
            if not stat.S_ISREG(status.st_mode):
                raise UnitError(f"{inside(self.root, path)} is not a regular file")
            text = stream.read().decode("utf-8", errors="replace")
        parts = split_name(name)
        if parts is not None and parts[1] is not None and parts[2] not in TEMPLATABLE_TYPES:
            raise UnitError(f"{name}: {parts[2]} units cannot be templated")
        return UnitFile(name, path, Mode.REGULAR, text=text)

    def _read_link(self, name: str, path: str) -> UnitFile:
        """unit_file_resolve_symlink, then the mask test: a link into the search path is an
        alias (and must be a valid one), a link out of it a linked unit file, a link to
        /dev/null or an empty file a mask."""
        target = os.readlink(path)
        if not target.startswith("/"):
            target = inside(self.root, os.path.dirname(path)) + "/" + target
        simplified = self._resolve_parent(target)
        is_alias = simplified.startswith(self._prefixes)
        if is_alias:
            check_alias(os.path.basename(path), os.path.basename(simplified))
        if inside(self.root, simplified) == "/dev/null" or self._masks(simplified):
            return UnitFile(name, path, Mode.MASKED)
        return UnitFile(name, path, Mode.ALIAS if is_alias else Mode.LINKED, target=simplified)

    def _resolve_parent(self, target: str) -> str:
        """`resolve_in_root(target, follow_last=False)`, with the resolution of the parent
        directory remembered: links point into the same few directories."""
        parent, _, leaf = target.rpartition("/")
        if leaf in ("", ".", ".."):
            return resolve_in_root(self.root, target, follow_last=False)
        resolved = self._parents.get(parent)
        if resolved is None:
            resolved = self._parents[parent] = resolve_in_root(self.root, parent)
        return os.path.join(resolved, leaf)

    def _masks(self, path: str) -> bool:
        """null_or_empty_path_with_root: the file at `path`, symlinks followed in the root,
        is empty or a device node."""
        try:
            status = os.lstat(path)
        except OSError:
            return False
        if stat.S_ISLNK(status.st_mode):
            return null_or_empty(resolve_in_root(self.root, inside(self.root, path)))
        return is_null_or_empty(status)

    def _follow(self, unit: UnitFile) -> UnitFile:
        """One step of install_info_traverse."""
        assert unit.target is not None
        base = os.path.basename(unit.target)
        if unit.mode is Mode.LINKED or base == unit.name:
            return self._load(unit.name, unit.target)  # same name: follow the link itself
        parts, target_parts = split_name(unit.name), split_name(base)
        if parts and parts[1] and target_parts and target_parts[1] == "":
            # An instance aliased to a template: the same instance of the target template.
            filled = f"{target_parts[0]}@{parts[1]}.{target_parts[2]}"
            if filled == unit.name:
                return self._load(unit.name, unit.target)
            base = filled
        found = self._search(base)
        if found is None:
            raise UnitError(f"{unit.name} is an alias of {base}, which does not exist")
        return found

    def _load_install(self, unit: UnitFile) -> None:
        """The [Install] section of the unit file and of its drop-ins (`NAME.d/*.conf`, then
        the template's), a drop-in name in a higher-priority directory hiding the others."""
        parse_install(unit.text or "", unit)
        try:
            for dropin in self._dropins(unit.name):
                within = inside(self.root, dropin)
                host = resolve_in_root(self.root, within)
                if inside(self.root, host) == "/dev/null" or null_or_empty(host):
                    continue  # a masked drop-in
                parse_install(_read_text(host), unit)
        except OSError as err:
            raise UnitError(f"{unit.name}: {err.filename}: {err.strerror}") from None

    def _dropins(self, name: str) -> list[str]:
        chosen: dict[str, str] = {}
        for directory_name in (f"{name}.d", f"{template_of(name)}.d"):
            for directory in self.directories:
                if directory_name not in directory.dropins:
                    continue
                path = os.path.join(directory.path, directory_name)
                for file_name in os.listdir(path):
                    if file_name.endswith(".conf") and not file_name.startswith("."):
                        chosen.setdefault(file_name, os.path.join(path, file_name))
        return [chosen[file_name] for file_name in sorted(chosen)]

    def _find_links(self, unit: UnitFile, *, match_name: bool) -> str | None:
        """find_symlinks_in_scope: where links to the unit are, as a state (None: nowhere).
        With `match_name`, only links under the unit's own names count."""
        known = unit.known_names() if match_name else None
        in_runtime = elsewhere = same_in_config = same_in_runtime = False
        ignore_same_name = False  # directories below the unit file's own cannot link it
        for directory in self.directories:
            found = same_name = False
            if directory.has_links:
                found, same_name = _find_in_directory(directory, unit.name, known, ignore_same_name)
            if found and directory.role == "config":
                return "enabled"
            if found and directory.runtime:
                in_runtime = True
            elif found:
                elsewhere = True
            elif same_name and directory.role == "config":
                same_in_config = True
            elif same_name and directory.runtime:
                same_in_runtime = True
            if unit.path.startswith(directory.path + "/"):
                ignore_same_name = True
        if in_runtime:
            return "enabled-runtime"
        if elsewhere and template_of(unit.name):
            return "static"  # an instance linked outside /etc and /run: part of the OS
        if same_in_config:
            return "linked"
        return "linked-runtime" if same_in_runtime else None

    def _directory_of(self, path: str) -> UnitDirectory | None:
        parent = os.path.dirname(path)
        return next((d for d in self.directories if d.path == parent), None)

    def _is_runtime(self, path: str) -> bool:
        return inside(self.root, path).startswith("/run/")


def _find_in_directory(
    directory: UnitDirectory, name: str, known: set[str] | None, ignore_same_name: bool
) -> tuple[bool, bool]:
    """find_symlinks for one directory: (a link counts, a same-name link was seen)."""
    # In *.wants/ and the like only a link's name counts: NAME, or an instance of template NAME.
    if name in directory.enablement:
        return True, False
    for link in directory.instances.get(name, ()):
        if known is None or link in known:
            return True, False
    # Top-level symlinks pointing to a file called NAME, or called NAME themselves.
    same_name = False
    for link in directory.links_to.get(name, ()):
        if link == name and not ignore_same_name:
            same_name = True  # NAME -> .../NAME: a linked unit file, not an enablement
        elif known is None or link in known:
            return True, same_name
    points_elsewhere = name not in directory.links_to.get(name, ())
    if not ignore_same_name and directory.entries.get(name) == "link" and points_elsewhere:
        return True, same_name  # a link called NAME to another file
    return False, same_name


def check_alias(link: str, target: str) -> None:
    """unit_validate_alias_symlink_or_warn: an alias must keep the unit type, and a template or
    instance may alias only a template or the same instance."""
    source, destination = split_name(link), split_name(target)
    if source is None or destination is None:
        raise UnitError(f"{link} -> {target}: not a valid unit name")
    templated = source[1] is not None
    if source[2] not in ALIASABLE_TYPES or (templated and source[2] not in TEMPLATABLE_TYPES):
        raise UnitError(f"{link}: symlinks are not allowed for units of this type")
    kinds = (_kind(source[1]), _kind(destination[1]))
    if kinds[0] != kinds[1] and kinds != ("instance", "template"):
        raise UnitError(f"{link} -> {target}: an alias must be of the same kind")
    if kinds[1] == "instance" and source[1] != destination[1]:
        raise UnitError(f"{link} -> {target}: instance names differ")
    if source[2] != destination[2]:
        raise UnitError(f"{link} -> {target}: unit types differ")


def _kind(instance: str | None) -> str:
    return "plain" if instance is None else "template" if instance == "" else "instance"


def _read_text(path: str) -> str:
    with open(path, "rb") as stream:
        return stream.read().decode("utf-8", errors="replace")
