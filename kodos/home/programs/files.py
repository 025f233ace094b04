"""`copy_file(source)`: a file of the configuration directory copied into the home.

`users.NAME.files = { ["~/.face"] = copy_file("face.jpg") }`. The source is a path relative to
the configuration directory and is resolved inside it: an absolute path, a `..` part or a
symbolic link leading out of the directory is refused, so a configuration can only hand out its
own files. The copy keeps the source's executable bit (mode 0755, else 0644).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from kodos.config.types import home_relative
from kodos.errors import Problem, ReadError
from kodos.home.items import HomeFile
from kodos.system.rootfs import UnsafePath, read_bytes_in_root, resolve_in_root
from kodos.text.shown import quoted

CONFIG_DIR = "the configuration directory"


def copy(destination: str, source: str, config_dir: Path, at: str) -> HomeFile | Problem:
    """The home file `destination` with the content of `source` from `config_dir`."""
    path = home_relative(destination)  # the model checked it: inside the home, not the home
    called = f"copy_file({quoted(source)})"
    relative = PurePosixPath(source)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return Problem(at, f"{called}: the source must be a path inside {CONFIG_DIR}")
    try:
        host = resolve_in_root(config_dir, source, confined_to=CONFIG_DIR)
        content = read_bytes_in_root(config_dir, source)
    except UnsafePath as err:
        return Problem(at, f"{called}: {_inside(err.path, config_dir)} {err.reason}")
    except FileNotFoundError:
        return Problem(at, f"{called}: no such file in {CONFIG_DIR} ({config_dir})")
    except (ReadError, OSError) as err:
        return Problem(at, f"{called}: cannot read it: {err}")
    executable = os.stat(host).st_mode & stat.S_IXUSR
    return HomeFile(path, content, 0o755 if executable else 0o644, at)


def _inside(path: str, config_dir: Path) -> str:
    """A path of an `UnsafePath` as the configuration names it (relative to its directory)."""
    try:
        return Path(path).relative_to(config_dir).as_posix()
    except ValueError:
        return path.lstrip("/")
