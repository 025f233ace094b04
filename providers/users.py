"""The `users` provider: local accounts from `etc/passwd`, `etc/group` and `etc/shadow`.

Manages `users.user[NAME]` — actual attributes `uid`, `gecos`, `shell`, `home`, `groups` (the
sorted supplementary groups: those of `etc/group` that list the user as a member; the primary
group is not among them) and `password` (sensitive: the shadow hash field as it is — a crypt
hash, `!`/`*`/`!HASH` for a locked account, `""` for none). Every account is read, system
accounts included. `read_groups` lists the groups, for checking configured `extra_groups`.

`etc/shadow` is readable only by root: without it `password` is left out of every user and a
note says so — the plan then cannot tell whether a password would change, and says that rather
than guessing. Lines that glibc would skip (malformed, NIS `+`/`-` entries) are skipped with
a note instead of failing the whole reading.

Ownership: kodos deletes an account only when `users.user[NAME]` is in the current
generation's managed set and the configuration no longer declares it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kodos.errors import ReadError
from kodos.providers import Reading, Scope
from kodos.resources import Resource
from kodos.system.rootfs import resolve_in_root

PROVIDER = "users"
READS_ALL = True
PASSWD, GROUP, SHADOW = "etc/passwd", "etc/group", "etc/shadow"
SENSITIVE = frozenset({"password"})

Line = tuple[int, list[str]]  # line number, fields


def read(root: Path, scope: Scope) -> Reading:
    """Every account of `passwd`; none for a root without one (a fresh install)."""
    notes: list[str] = []
    passwd = _table(root, PASSWD, 7, notes)
    if passwd is None:
        return Reading(notes=notes)
    members = _supplementary_groups(_table(root, GROUP, 4, notes) or [])
    shadow = _shadow(root, notes)
    resources: list[Resource] = []
    seen: set[str] = set()
    for number, (name, password, uid, _gid, gecos, home, shell) in passwd:
        if name in seen:
            notes.append(f"/{PASSWD}:{number}: {name} is listed again; the first entry counts")
            continue
        if not uid.isdigit():
            notes.append(f"/{PASSWD}:{number}: uid {uid!r} is not a number; {name} skipped")
            continue
        seen.add(name)
        attributes = {
            "uid": int(uid),
            "gecos": gecos,
            "shell": shell,
            "home": home,
            "groups": sorted(members.get(name, ())),
        }
        hashed = _password(name, password, shadow)
        if hashed is not None:
            attributes["password"] = hashed
        elif shadow is not None:
            notes.append(f"/{SHADOW} has no entry for {name}: its password is unknown")
        resources.append(Resource(PROVIDER, "user", name, attributes, SENSITIVE))
    return Reading(resources=resources, notes=notes)


def read_groups(root: Path) -> set[str]:
    """The names of every group in `etc/group` (empty for a root without one)."""
    return {fields[0] for _, fields in _table(root, GROUP, 4, []) or []}


def _password(name: str, passwd_field: str, shadow: dict[str, str] | None) -> str | None:
    """The hash field for `name`: from shadow, or from passwd itself when that does not defer
    to shadow with `x` (old systems); None when it cannot be known."""
    if shadow is not None and name in shadow:
        return shadow[name]
    return None if passwd_field == "x" else passwd_field


def _shadow(root: Path, notes: list[str]) -> dict[str, str] | None:
    try:
        lines = _table(root, SHADOW, 9, notes, quiet_permission=True)
    except PermissionError as err:
        notes.append(
            f"/{SHADOW} is not readable ({err.strerror}; reading it needs root): "
            "passwords are unknown and not compared"
        )
        return None
    if lines is None:
        notes.append(f"/{SHADOW} does not exist: passwords are unknown unless passwd holds them")
        return None
    shadow: dict[str, str] = {}
    for _, fields in lines:
        shadow.setdefault(fields[0], fields[1])  # the first entry counts, as for getspnam
    return shadow


def _supplementary_groups(group: list[Line]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for _, (group_name, _password, _gid, users) in group:
        for user in users.split(","):
            if user:
                members.setdefault(user, set()).add(group_name)
    return members


def _table(
    root: Path, relative: str, width: int, notes: list[str], *, quiet_permission: bool = False
) -> list[Line] | None:
    """The entries of a colon-separated account file; None when it does not exist.

    A permission error is re-raised for shadow (`quiet_permission`): for passwd and group,
    which every user may read, it means the root itself is unreadable.
    """
    path = resolve_in_root(root, relative)
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except FileNotFoundError:
        return None
    except PermissionError:
        if quiet_permission:
            raise
        raise ReadError(path, "not readable") from None
    except OSError as err:
        raise ReadError(path, f"cannot read: {err.strerror or err}") from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"/{relative} is not UTF-8 text; undecodable bytes are shown as U+FFFD")
        text = data.decode("utf-8", errors="replace")
    return list(_entries(text, relative, width, notes))


def _entries(text: str, relative: str, width: int, notes: list[str]) -> Iterator[Line]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(":")
        if line[0] in "+-":  # NIS compat entries: kodos manages local accounts only
            notes.append(f"/{relative}:{number}: NIS entry skipped")
        elif len(fields) != width or not fields[0]:
            notes.append(f"/{relative}:{number}: not an entry ({width} fields expected); skipped")
        else:
            yield number, fields
