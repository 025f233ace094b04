"""users → `users.user[NAME]`, the packages of their programs and services, group needs.

A user resource carries only what the configuration says, so everything else about an
existing account is left alone:
* `gecos` from `name`; `shell`; `groups` (sorted, without duplicates) when `extra_groups` is
  written at all — an absent `extra_groups` leaves the user's groups unmanaged, `{}` empties them.
* `home`: `/home/NAME` for every user but root (creating an account needs it; root's is /root
  and never changes).
* `password` (sensitive): `hashed_password`'s hash; for `no_password`, `"!"` — a LOCKED
  password, not an empty one: an empty password lets anyone at the console (and `su` with
  pam's nullok) in without a prompt, a locked one only disables password login (SSH keys,
  sudo from another account keep working; a locked root also means systemd's emergency
  shell will not open); for a plain-text `password`, a `PlainPassword` holding it in memory,
  hashed only when applied. No password key at all leaves the password unmanaged.

Programs are installed system-wide: `program.package` or the program's name, plus its
extra_packages. Their `config` (git, dconf), `deploy_config`/`deploy_configs` and user services'
units are per-user and belong to rebuild-user (`kodos apply --user`). A dotfile manager needs
its tool on the system: `stow`, and `git` when it clones a `repo_url`.

Each `extra_groups` entry becomes a required group (group, configuration path): whether it
exists can only be checked against the machine (`kodos.desired.groups`).
"""

from __future__ import annotations

from collections.abc import Mapping

from kodos.config.model import Program, User
from kodos.config.packages import ConfigPath
from kodos.desired.collect import Collector
from kodos.desired.services import expand_user_services
from kodos.resources import JsonValue
from kodos.secrets import PlainPassword
from kodos.text.location import config_path

LOCKED_PASSWORD = "!"
SENSITIVE = frozenset({"password"})


def expand_users(collector: Collector, users: Mapping[str, User]) -> None:
    for name, user in sorted(users.items()):
        path = ("users", name)
        attributes = _attributes(collector, name, user, path)
        collector.resource(("users", "user", name), attributes, path, SENSITIVE)
        for i, group in enumerate(user.extra_groups):
            collector.required_groups.append((group, config_path((*path, "extra_groups", i))))
        for program_name, program in sorted(user.programs.items()):
            _program(collector, program_name, program, (*path, "programs", program_name))
        _dotfile_manager(collector, user, path)
        expand_user_services(collector, user.services, (*path, "services"))


def _attributes(
    collector: Collector, name: str, user: User, path: ConfigPath
) -> dict[str, JsonValue]:
    attributes: dict[str, JsonValue] = {}
    if user.name is not None:  # without ':' or line breaks: the model checked
        attributes["gecos"] = user.name
    if name != "root":
        attributes["home"] = f"/home/{name}"
    if user.shell is not None:
        attributes["shell"] = user.shell
    if "extra_groups" in user.model_fields_set:
        attributes["groups"] = sorted(set(user.extra_groups))
    password = _password(user)
    if password is not None:
        attributes["password"] = password
    return attributes


def _password(user: User) -> str | PlainPassword | None:
    if user.hashed_password is not None:
        return user.hashed_password.get_secret_value()
    if user.no_password:
        return LOCKED_PASSWORD
    if user.password is not None:
        return PlainPassword(user.password.get_secret_value())
    return None


def _program(collector: Collector, name: str, program: Program, path: ConfigPath) -> None:
    if not program.enable:
        return
    if program.package is not None:
        collector.package(program.package, (*path, "package"))
    else:
        collector.package(name, path)
    collector.specs(program.extra_packages, (*path, "extra_packages"))


def _dotfile_manager(collector: Collector, user: User, path: ConfigPath) -> None:
    manager = user.dotfile_manager
    if manager is None:
        return
    collector.package("stow", (*path, "dotfile_manager"))
    if manager.repo_url is not None:
        collector.package("git", (*path, "dotfile_manager", "repo_url"))
