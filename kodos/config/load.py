"""Load a configuration: find the file, evaluate it in the sandbox, validate it into a Config.

This is the only entry point the rest of kodos uses to read a configuration.

The model (the configuration's classes and what checks with them) is imported while the
sandboxed child evaluates the Lua, on another core, instead of before it: `_model` is what
`evaluate_config` runs meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kodos.config import DEFAULT_CONFIG_DIR
from kodos.errors import ConfigError, Problem
from kodos.lua.evaluator import Limits, evaluate_config
from kodos.text.location import config_path
from kodos.text.shown import at_most

if TYPE_CHECKING:
    from kodos.config.model import Config

CONFIG_FILE_NAME = "configuration.lua"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    file: Path
    display_path: str
    warnings: tuple[Problem, ...]
    sources: tuple[tuple[str, str], ...]
    """The configuration's own files as read: the main one and every module it required
    from its directory (shown path, text)."""

    @property
    def digest(self) -> str:
        """sha256 over `sources`, so a change in any of them makes a saved plan stale."""
        import hashlib  # only a plan needs it; loading OpenSSL is a few ms of validate

        hasher = hashlib.sha256()
        for display_path, text in self.sources:
            hasher.update(f"{len(display_path)}:{display_path}{len(text)}:{text}".encode())
        return "sha256:" + hasher.hexdigest()


def find_configuration(path: str) -> tuple[Path, str]:
    """The configuration file for `-c PATH` (a directory holding configuration.lua, or a .lua
    file), and the path to show the user for it."""
    candidate = Path(path)
    if candidate.is_dir():
        file = candidate / CONFIG_FILE_NAME
        display = path.rstrip("/") + "/" + CONFIG_FILE_NAME
        if not file.is_file():
            raise ConfigError([Problem(path, f"no {CONFIG_FILE_NAME} in this directory")])
        return file, display
    if candidate.exists() or candidate.is_symlink():
        return candidate, path  # reading it refuses anything but a regular file
    raise ConfigError([Problem(path, "no such file or directory")])


def load_config(
    path: str = DEFAULT_CONFIG_DIR,
    limits: Limits | None = None,
    lua_path: Sequence[Path] = (),
    meanwhile: Callable[[], object] | None = None,
) -> LoadedConfig:
    """Evaluate and validate; raises ConfigError listing every problem found (the first
    ones, see kodos.text.shown). `lua_path` names more module directories (`--lua-path`).
    `meanwhile` runs while the Lua is evaluated, after the model is ready: what the caller
    needs next, imported on this core while the configuration runs on another."""
    file, display = find_configuration(path)
    for directory in lua_path:
        if not directory.is_dir():
            raise ConfigError([Problem(str(directory), "--lua-path: not a directory")])
    evaluation = evaluate_config(
        file, display, limits, lua_path, may_be_link=True, meanwhile=lambda: _model(meanwhile)
    )
    from kodos.config.fields import ValidationError
    from kodos.config.model import Config
    from kodos.config.packages import check_requests
    from kodos.config.types import lua_type

    data = evaluation.value
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else lua_type(data)
        message = f"the configuration must return a table of named sections, not {kind}"
        raise ConfigError([Problem(display, message)])
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        from kodos.config.errors import problems_from  # only an invalid configuration needs it

        raise ConfigError(problems_from(err, Config)) from None
    problems = check_requests(config)
    if any(user.files for user in config.users.values()):
        from kodos.config.copied import check_copied_files

        problems += check_copied_files(config, file.parent)
    if problems:
        raise ConfigError(at_most(problems))
    return LoadedConfig(config, file, display, tuple(_warnings(config)), evaluation.sources)


def _model(then: Callable[[], object] | None) -> None:
    """Import the model and what checks with it, and build its checks; the phrasing of
    validation errors (kodos.config.errors) waits for an error. Then `then`."""
    import kodos.config.packages  # noqa: F401
    from kodos.config.model import Config
    from kodos.config.sections import prepare

    prepare(Config)
    if then is not None:
        then()


def _warnings(config: Config) -> list[Problem]:
    warnings = []
    for name, user in config.users.items():
        if user.password is not None:
            warnings.append(
                Problem(
                    config_path(("users", name, "password")),
                    "a plain-text password is stored in the configuration; use hashed_password "
                    "(e.g. from `openssl passwd -6`) instead",
                )
            )
    return warnings
