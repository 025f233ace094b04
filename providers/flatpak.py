"""The `flatpak` provider: the system-wide Flatpak installation's remotes and applications.

Manages `flatpak.app[ID]` — actual attributes `remote` (the remote it was installed from) and
`version` (the application's AppStream release version, when it declares one). Only
applications are read, not runtimes: runtimes follow the applications that need them. Every
installed application is read, whatever the scope.

And `flatpak.remote[NAME]`, every remote of the installation's `repo/config` — actual
attributes `url`, `gpg_verify` and, when kodos added the remote, `added_by: "kodos"`. kodos
marks the remotes it adds with keys of its own in their section of that file (flatpak and
ostree keep keys they do not know), so the mark lives inside the generation and rolls back
with it, as pacman.conf's `# Added by kodos` line does:

    kodos-added-by=kodos                 kodos added this remote
    kodos-flatpakrepo=URL                it was set from this .flatpakrepo file…
    kodos-flatpakrepo-url=URL            …which gave this repository URL

The `url` read is the .flatpakrepo file's while the repository URL is still the one that file
gave (the configuration names the file, not what it says); otherwise the repository URL.

The installation is read straight from disk (`ROOT/var/lib/flatpak`), without running
`flatpak`: its layout has been stable since flatpak 0.x and is simple —

    app/ID/current -> ARCH/BRANCH               the branch `flatpak run ID` uses
    app/ID/ARCH/BRANCH/active -> COMMIT         the deployed commit
    app/ID/ARCH/BRANCH/COMMIT/deploy            GVariant (ssasta{sv}): origin remote, commit,
                                                subpaths, installed size, metadata

— and reading it costs nothing for a root without flatpak, needs no flatpak on the host and
stays a pure read. The metadata dictionary holds `appdata-version`, which is what
`flatpak list --columns=version` shows. Other installations (`/etc/flatpak/installations.d`,
per-user ones) are not read: kodos installs system-wide.

Ownership: kodos uninstalls an application only when `flatpak.app[ID]` is in the current
generation's managed set and the configuration no longer declares it; it removes a remote only
when, in addition, the remote carries kodos's mark (`kodos.plan.diff.DELETED_ONLY_WHEN`).
"""

from __future__ import annotations

import os
from pathlib import Path

from kodos.errors import ReadError
from kodos.providers import Reading, Scope
from kodos.resources import JsonValue, Resource
from kodos.system.rootfs import read_text_in_root, resolve_in_root

PROVIDER = "flatpak"
READS_ALL = True
INSTALLATION = "var/lib/flatpak"
REPO_CONFIG = f"{INSTALLATION}/repo/config"
ADDED_BY = "kodos-added-by"
FLATPAKREPO = "kodos-flatpakrepo"
FLATPAKREPO_URL = "kodos-flatpakrepo-url"


class DeployDataError(ValueError):
    """A deploy file that is not the GVariant flatpak writes."""


def read(root: Path, scope: Scope) -> Reading:
    """Every remote and every application of the system-wide installation in `root`."""
    reading = Reading()
    try:
        reading.resources.extend(read_remotes(root))
    except PermissionError as err:
        reading.notes.append(f"/{REPO_CONFIG}: not readable ({err.strerror}); remotes unknown")
    apps = resolve_in_root(root, f"{INSTALLATION}/app")
    try:
        app_ids = sorted(os.listdir(apps))
    except (FileNotFoundError, NotADirectoryError):
        return reading  # flatpak never used here
    except OSError as err:
        reading.notes.append(f"/{INSTALLATION}/app: not readable ({err.strerror}); apps unknown")
        return reading
    for app_id in app_ids:
        deploy = _current_deployment(os.path.join(apps, app_id), app_id, reading.notes)
        if deploy is not None:
            attributes = _attributes(deploy, app_id, reading.notes)
            reading.resources.append(Resource(PROVIDER, "app", app_id, attributes))
    return reading


def read_remotes(root: Path) -> list[Resource]:
    """`flatpak.remote` resources: the remotes of `root`'s system installation."""
    try:
        text = read_text_in_root(root, REPO_CONFIG)
    except FileNotFoundError:
        return []  # flatpak never used here
    except UnicodeDecodeError as err:
        raise ReadError(root / REPO_CONFIG, f"not UTF-8 ({err.reason})") from None
    resources = []
    for name, keys in remote_sections(text).items():
        resources.append(Resource(PROVIDER, "remote", name, remote_attributes(keys)))
    return resources


def remote_attributes(keys: dict[str, str]) -> dict[str, JsonValue]:
    """A remote's section as `flatpak.remote` attributes (see the module's docstring)."""
    url = keys.get("url", "")
    given = keys.get(FLATPAKREPO)
    if given is not None and keys.get(FLATPAKREPO_URL) == url:
        url = given
    # ostree verifies unless told not to: a missing gpg-verify means true.
    attributes: dict[str, JsonValue] = {
        "url": url,
        "gpg_verify": keys.get("gpg-verify", "true").strip().lower() != "false",
    }
    if keys.get(ADDED_BY) == "kodos":
        attributes["added_by"] = "kodos"
    return attributes


def remote_sections(text: str) -> dict[str, dict[str, str]]:
    """The `[remote "NAME"]` sections of an ostree repository's config (a GLib key file):
    remote name → key → value, values unescaped. Other sections and comments are skipped; of
    a key given twice the last counts, as GLib reads it."""
    remotes: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            name = remote_of_section(stripped[1:-1])
            current = None if name is None else remotes.setdefault(name, {})
        elif current is not None and "=" in stripped:
            key, _, value = stripped.partition("=")
            current[key.strip()] = unescape_value(value.lstrip())
    return remotes


def remote_of_section(section: str) -> str | None:
    """`remote "flathub"` → `flathub`; None for another section."""
    prefix, _, rest = section.partition(" ")
    if prefix != "remote" or len(rest) < 2 or not (rest[0] == rest[-1] == '"'):
        return None
    return rest[1:-1]


_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def unescape_value(value: str) -> str:
    """A GLib key file value as it means: `\\s`, `\\n`, `\\t`, `\\r`, `\\\\` unescaped."""
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_ESCAPES.get(following, "\\" + following))
        else:
            out.append(char)
    return "".join(out)


def _current_deployment(app_dir: str, app_id: str, notes: list[str]) -> str | None:
    """The deployed commit directory of the branch in use, None if nothing is deployed (an
    interrupted install or uninstall leaves an `app/ID` without an `active` deployment)."""
    branches = []
    for arch in _subdirectories(app_dir):
        for branch in _subdirectories(os.path.join(app_dir, arch)):
            if os.path.isdir(os.path.join(app_dir, arch, branch, "active")):
                branches.append(f"{arch}/{branch}")
    if not branches:
        return None
    current = _link_target(os.path.join(app_dir, "current"))
    chosen = current if current in branches else branches[0]
    if len(branches) > 1:
        others = ", ".join(b for b in branches if b != chosen)
        notes.append(f"flatpak {app_id}: also installed as {others}; {chosen} is read")
    return os.path.join(app_dir, chosen, "active")


def _attributes(deploy: str, app_id: str, notes: list[str]) -> dict[str, JsonValue]:
    try:
        with open(os.path.join(deploy, "deploy"), "rb") as stream:
            origin, metadata = parse_deploy_data(stream.read())
    except (OSError, DeployDataError) as err:
        notes.append(f"flatpak {app_id}: deploy data unreadable ({err}); remote unknown")
        return {}
    attributes: dict[str, JsonValue] = {"remote": origin}
    version = metadata.get("appdata-version")
    if isinstance(version, str) and version:
        attributes["version"] = version
    return attributes


def _subdirectories(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _link_target(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


# ---- GVariant, just enough for flatpak's deploy data -------------------------------------
# Serialisation (GVariant specification, "Serialisation"): little-endian; a container stores
# the end offsets of its variable-sized members ("framing offsets") at its end, each 1, 2, 4 or
# 8 bytes wide depending on the container's size; members are aligned relative to the
# container's start; a string is its bytes plus NUL; a variant is its value, NUL, type string.


def parse_deploy_data(data: bytes) -> tuple[str, dict[str, JsonValue]]:
    """(origin, metadata) of a deploy file, `(ssasta{sv})`; metadata keeps string values only.
    Raises `DeployDataError` for anything else."""
    size = len(data)
    width = _offset_width(size)
    # Three framing offsets, last-to-first: ends of origin (s), commit (s), subpaths (as).
    origin_end, _commit_end, subpaths_end = (
        _offset(data, size - (i + 1) * width, width) for i in range(3)
    )
    metadata_start = _align(subpaths_end, 8) + 8  # the installed size, t, sits in between
    metadata_end = size - 3 * width
    if not origin_end <= subpaths_end <= metadata_start <= metadata_end:
        raise DeployDataError("framing offsets out of order")
    return _string(data[:origin_end]), _string_dict(data[metadata_start:metadata_end])


def _string_dict(data: bytes) -> dict[str, JsonValue]:
    """`a{sv}`: an array of variable-sized dict entries, each `{key, variant}`."""
    result: dict[str, JsonValue] = {}
    size = len(data)
    if size == 0:
        return result
    width = _offset_width(size)
    table = _offset(data, size - width, width)  # the last entry's end: where offsets start
    if table > size or (size - table) % width:
        raise DeployDataError("bad array framing")
    start = 0
    for i in range((size - table) // width):
        end = _offset(data, table + i * width, width)
        entry = data[_align(start, 8) : end]
        entry_width = _offset_width(len(entry))
        key_end = _offset(entry, len(entry) - entry_width, entry_width)
        value = entry[_align(key_end, 8) : len(entry) - entry_width]
        value_bytes, _, type_string = value.rpartition(b"\0")
        if type_string == b"s":
            result[_string(entry[:key_end])] = _string(value_bytes)
        start = end
    return result


def _string(data: bytes) -> str:
    if not data.endswith(b"\0"):
        raise DeployDataError("string without its NUL")
    try:
        return data[:-1].decode("utf-8")
    except UnicodeDecodeError as err:
        raise DeployDataError("string is not UTF-8") from err


def _offset_width(size: int) -> int:
    return 1 if size <= 0xFF else 2 if size <= 0xFFFF else 4 if size <= 0xFFFFFFFF else 8


def _offset(data: bytes, at: int, width: int) -> int:
    if at < 0 or at + width > len(data):
        raise DeployDataError("truncated")
    return int.from_bytes(data[at : at + width], "little")


def _align(offset: int, alignment: int) -> int:
    return (offset + alignment - 1) // alignment * alignment
