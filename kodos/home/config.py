"""The configuration a `kodos user` command reads, and the user's section of it rendered.

Kept light on purpose: a command loads the configuration before it imports the rest of
the home room, so the model and the plan's modules are imported while the sandboxed child
evaluates the Lua (kodos/config/load.py), not before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kodos.config.load import LoadedConfig, load_config
from kodos.errors import ConfigError, Problem
from kodos.home.identity import HomeUser, default_config_paths
from kodos.text.location import config_path

if TYPE_CHECKING:
    from kodos.home.items import HomeWanted


def load_user_config(config: str | None, user: HomeUser) -> LoadedConfig:
    """`-c PATH`, or the first of `~/.config/kodos`, `/etc/kodos` that exists."""
    if config is None:
        candidates = default_config_paths(user)
        config = next((c for c in candidates if Path(c).exists()), candidates[-1])
    return load_config(config)


def wanted_for(loaded: LoadedConfig, user: HomeUser) -> HomeWanted:
    """What `users[<user>]` asks for in the home, from the program renderers."""
    section = loaded.config.users.get(user.name)
    if section is None:
        names = ", ".join(loaded.config.users) or "none"
        raise ConfigError(
            [
                Problem(
                    config_path(["users", user.name]),
                    f"no section for user {user.name} in {loaded.display_path} "
                    f"(its users: {names})",
                )
            ]
        )
    from kodos.home.programs import render

    wanted: HomeWanted = render(section, user.name, user.home, loaded.file.parent, user.cache_dir)
    return wanted
