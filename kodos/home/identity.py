"""Whose home a `kodos user` command acts on, and where that user's kodos files are.

Without `--for`, the calling user: their name from the passwd database by uid (never from
`$USER`, which anyone can set to name someone else's section), their home from `$HOME`, their
XDG directories from the environment. With `--for NAME`, run as root: that user's
identity from the passwd database, the XDG defaults of their home (root's `$XDG_*` mean
nothing for them), and this process becomes that user — uid, gid, supplementary groups —
before anything in the home is read or written, so every file kodos touches there is touched
with the user's own rights.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import KodosError
from kodos.system.privilege import ROOT_ADVICE, drop_privileges

# The XDG base directories and their defaults inside the home (XDG Base Directory spec).
XDG_DEFAULTS = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_STATE_HOME": ".local/state",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
}


class IdentityError(KodosError):
    """The user to act for cannot be found or taken on."""


@dataclass(frozen=True, slots=True)
class HomeUser:
    name: str
    uid: int
    gid: int
    home: Path
    xdg: dict[str, Path]

    @property
    def config_dir(self) -> Path:
        return self.xdg["XDG_CONFIG_HOME"]

    @property
    def state_dir(self) -> Path:
        """Where the home generations live: `$XDG_STATE_HOME/kodos/home`."""
        return self.xdg["XDG_STATE_HOME"] / "kodos" / "home"

    @property
    def cache_dir(self) -> Path:
        return self.xdg["XDG_CACHE_HOME"] / "kodos"


def calling_user() -> HomeUser:
    """The user running this process, as their environment describes their home."""
    uid = os.getuid()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        raise IdentityError(f"uid {uid} has no entry in the passwd database") from None
    home = Path(os.environ.get("HOME") or entry.pw_dir)
    if not home.is_absolute():
        raise IdentityError(f"$HOME is {str(home)!r}, not an absolute path")
    _refuse_a_home_not_ones_own(home, uid)
    xdg = {}
    for variable, default in XDG_DEFAULTS.items():
        value = os.environ.get(variable, "")
        # The spec: a relative value is invalid and is ignored.
        xdg[variable] = Path(value) if value.startswith("/") else home / default
    return HomeUser(entry.pw_name, uid, entry.pw_gid, home, xdg)


def _refuse_a_home_not_ones_own(home: Path, uid: int) -> None:
    """Root whose `$HOME` is another user's (`sudo` keeps it on some systems) would fill that
    home with root's files: refused, pointing at `--for`."""
    try:
        owner = home.stat().st_uid
    except OSError:
        return  # a missing home is reported where it is opened
    if uid == 0 and owner != 0:
        raise IdentityError(
            f"$HOME is {home}, which uid {owner} owns, not root: kodos user acts on the running "
            "user's own home; run it as that user, or as root with --for NAME"
        )


def become_user(name: str) -> HomeUser:
    """As root, take on `name`'s identity for good (`--for NAME`) and describe their home
    with the XDG defaults; the environment is set to match, for the tools run later."""
    if os.geteuid() != 0:
        raise IdentityError(f"--for {name} needs root: {ROOT_ADVICE}")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise IdentityError(f"--for {name}: no such user in the passwd database") from None
    home = Path(entry.pw_dir)
    groups = os.getgrouplist(name, entry.pw_gid)
    drop_privileges(entry.pw_uid, entry.pw_gid, groups)
    xdg = {variable: home / default for variable, default in XDG_DEFAULTS.items()}
    os.environ.update(
        HOME=str(home), USER=name, LOGNAME=name, **{k: str(v) for k, v in xdg.items()}
    )
    for variable in ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        os.environ.pop(variable, None)  # root's session is not theirs
    return HomeUser(name, entry.pw_uid, entry.pw_gid, home, xdg)


def default_config_paths(user: HomeUser) -> list[str]:
    """Where `-c` looks when not given: the user's own, then the machine's."""
    return [str(user.config_dir / "kodos"), "/etc/kodos"]
