"""users.user changes with shadow-utils' own `--root` mode: useradd, usermod, userdel, chpasswd.

The tools chroot into the target and edit its passwd, group, shadow and gshadow themselves
(locking, backups, the next free uid), using the target's `login.defs`; nothing else needs to
be mounted. Passwords go through `chpasswd -R TARGET -e` as input, never as an argument
(argv is visible to every process): the desired crypt hash, `!` for a locked account, or a
`PlainPassword` hashed here (yescrypt, as Arch's login.defs asks) just before it is written.
Plain `chpasswd -R` without `-e` does not work offline (it needs PAM in the target).

* create: `useradd -m -d HOME` (home only for accounts that have one configured: root's exists)
  with `-c`, `-s`, `-G` as configured;
* update: `usermod` with the changed attributes only; `-G` sets the whole supplementary list
  (an empty list empties it). `home` only shapes a new account and never reaches here.
* delete: `userdel` WITHOUT `-r`. Home directories live on the shared `@home` subvolume, which
  no generation snapshots: removing one could not be undone by a rollback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kodos.apply.work import Work, failing_as
from kodos.plan.model import Action, Change
from kodos.resources import JsonValue
from kodos.secrets import PlainPassword, hash_password
from kodos.system.runner import run

STEP = "update users"
DELETE_STEP = "delete users"


def apply(work: Work, changes: Sequence[Change]) -> None:
    """Create or update each account, then set its password if that changed."""
    for change in changes:
        values = work.changed_values(change)
        with failing_as(STEP, [change]):
            if change.action == Action.CREATE:
                run(_useradd_argv(work, change.name, values))
            elif flags := _account_flags(values, creating=False):
                run(["usermod", "--root", str(work.target), *flags, change.name])
            if "password" in values:
                _set_password(work, change.name, values["password"])


def delete(work: Work, changes: Sequence[Change]) -> None:
    for change in changes:
        with failing_as(DELETE_STEP, [change]):
            run(["userdel", "--root", str(work.target), change.name])


def _useradd_argv(work: Work, name: str, values: Mapping[str, JsonValue]) -> list[str]:
    home = ["--create-home", "--home-dir", str(values["home"])] if "home" in values else []
    flags = _account_flags(values, creating=True)
    return ["useradd", "--root", str(work.target), *home, *flags, name]


def _account_flags(values: Mapping[str, JsonValue], *, creating: bool) -> list[str]:
    flags = []
    if "gecos" in values:
        flags += ["--comment", str(values["gecos"])]
    if "shell" in values:
        flags += ["--shell", str(values["shell"])]
    groups = values.get("groups")
    # useradd has no use for an empty -G; usermod needs it to leave every group.
    if isinstance(groups, list) and (groups or not creating):
        flags += ["--groups", ",".join(str(group) for group in groups)]
    return flags


def _set_password(work: Work, name: str, value: JsonValue) -> None:
    # One account a call: the runner withholds output lines repeating the input, which may
    # hide the user name in chpasswd's message; the step's error still names the account.
    run(
        ["chpasswd", "--root", str(work.target), "--encrypted"],
        input=f"{name}:{_crypt_field(value)}\n",
        secret_input=True,
    )


def _crypt_field(value: JsonValue) -> str:
    """What the shadow password field must hold for a desired password value."""
    if isinstance(value, PlainPassword):
        return hash_password(value.secret)
    return str(value)
