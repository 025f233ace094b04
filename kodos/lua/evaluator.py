"""Evaluate a configuration file in the Lua sandbox and return it as plain Python data.

Each evaluation gets a fresh Lua 5.4 runtime (creating one costs ~0.1 ms), so nothing a
configuration does can leak into the next. Errors come back as `ConfigError` whose problems are
located by `file:line`, with the chunk names Lua reports mapped back to the paths a user knows.

Strings cross the boundary as bytes (the runtime has no encoding): Lua strings are byte
strings, and a config holding invalid UTF-8 must become a located problem, not a crash inside
lupa's automatic decoding.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kodos.errors import ConfigError, Problem
from kodos.lua.convert import lua_to_python
from kodos.lua.hints import hint_for

SANDBOX_SOURCE = (Path(__file__).parent / "sandbox.lua").read_text(encoding="utf-8")

# Lua reports `chunkname:line: message`; chunk names are short relative names (Lua truncates
# long ones to 60 characters), translated back to display paths by `_Chunks`.
_LOCATED = re.compile(r"^(?P<chunk>[^\s:][^:\n]*?)(:(?P<line>\d+))?: (?P<message>.*)$", re.DOTALL)
_MODULE_SUFFIX = ".lua"
# Lua shortens chunk names longer than 60 bytes in its messages; longer or unusual names get a
# short id that `_Chunks` maps back.
_PLAIN_CHUNK_NAME = re.compile(r"[\w./+-]{1,50}")


@dataclass(frozen=True, slots=True)
class Limits:
    """How far a configuration may go before evaluation is stopped."""

    max_memory_bytes: int = 64 * 1024 * 1024
    max_instructions: int = 50_000_000


def lua_lib_dir() -> Path:
    """The directory of kodos's own Lua modules (`lua-lib/` in the source tree)."""
    from importlib.resources import files

    return Path(str(files("kodos.lualib")))


@dataclass(slots=True)
class _Chunks:
    """Maps Lua chunk names to display paths and remembers each chunk's source for hints."""

    display: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    library: set[str] = field(default_factory=set)

    def add(self, name: str, display_path: str, source: str, *, library: bool = False) -> bytes:
        chunk = name if _PLAIN_CHUNK_NAME.fullmatch(name) else f"chunk-{len(self.display)}.lua"
        self.display[chunk] = display_path
        self.sources[chunk] = source
        if library:
            self.library.add(chunk)
        return ("@" + chunk).encode()

    def own_sources(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (self.display[chunk], text)
            for chunk, text in self.sources.items()
            if chunk not in self.library
        )

    def problem(self, raw_message: str, fallback_location: str) -> Problem:
        first_line, _, _ = raw_message.partition("\nstack traceback:")
        match = _LOCATED.match(first_line)
        if not match or match["chunk"] not in self.display:
            return Problem(fallback_location, first_line.strip())
        chunk, message = match["chunk"], match["message"].strip()
        if match["line"] is None:
            return Problem(self.display[chunk], message)
        line = int(match["line"])
        source_lines = self.sources[chunk].splitlines()
        source_line = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
        return Problem(f"{self.display[chunk]}:{line}", message, hint_for(message, source_line))


class _Host:
    """The only things the sandbox may ask of Python: module text, and stderr for `print`."""

    def __init__(self, config_dir: Path, display_dir: str, chunks: _Chunks) -> None:
        self.config_dir = config_dir
        self.display_dir = display_dir
        self.chunks = chunks

    def read_module(self, raw_name: bytes) -> tuple[bytes | None, bytes]:
        # The sandbox has already checked the name's characters; no `..`, no leading `/`.
        relative = raw_name.decode().replace(".", "/") + _MODULE_SUFFIX
        shown = _join(self.display_dir, relative)
        for candidate, display in (
            (self.config_dir / relative, shown),
            (lua_lib_dir() / relative, None),
        ):
            try:
                source = candidate.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as err:
                return None, f"require: cannot read {display or candidate}: {_reason(err)}".encode()
            if display is None:
                chunk = self.chunks.add(f"lua-lib/{relative}", str(candidate), source, library=True)
                return source.encode(), chunk
            return source.encode(), self.chunks.add(relative, display, source)
        name = raw_name.decode()
        message = f"require: module '{name}' not found (looked for {shown} and lua-lib/{relative})"
        return None, message.encode()

    @staticmethod
    def write_stderr(text: bytes) -> None:
        sys.stderr.write(text.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What a configuration returned, and the configuration's own files that produced it
    (display path → text, in load order; kodos's lua-lib is not among them)."""

    value: Any
    sources: tuple[tuple[str, str], ...]


def evaluate_file(config_file: Path, display_path: str, limits: Limits | None = None) -> Any:
    """Run `config_file` in the sandbox and return the value it returns, as plain data.

    `display_path` is how error locations name the file (the path as the user gave it).
    Raises ConfigError listing every problem, each with a `file:line` or config path.
    """
    return evaluate_config(config_file, display_path, limits).value


def evaluate_config(
    config_file: Path, display_path: str, limits: Limits | None = None
) -> Evaluation:
    """`evaluate_file`, also telling which of the configuration's files were loaded."""
    limits = limits or Limits()
    try:
        source = config_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([Problem(display_path, f"cannot read: {_reason(err)}")]) from err
    chunks = _Chunks()
    chunkname = chunks.add(config_file.name, display_path, source)
    display_dir = display_path.rpartition("/")[0]
    host = _Host(config_file.parent, display_dir, chunks)
    value = _run(source.encode(), chunkname, host, limits, display_path)
    return Evaluation(value, chunks.own_sources())


def _run(source: bytes, chunkname: bytes, host: _Host, limits: Limits, display_path: str) -> Any:
    from lupa import lua54

    runtime = lua54.LuaRuntime(
        encoding=None,
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        max_memory=limits.max_memory_bytes,
        attribute_filter=_deny_attribute_access,
    )
    host_table = runtime.table_from(
        {
            b"read_module": host.read_module,
            b"write_stderr": host.write_stderr,
            b"config_dir": str(host.config_dir.resolve()).encode(),
        }
    )
    try:
        run = runtime.execute(SANDBOX_SOURCE, host_table, limits.max_instructions)
        ok, result = run(source, chunkname)
    except lua54.LuaMemoryError as err:
        raise ConfigError([_memory_problem(display_path, limits)]) from err
    if not ok:
        message = result.decode("utf-8", "replace")
        if message == "not enough memory":
            raise ConfigError([_memory_problem(display_path, limits)])
        raise ConfigError([host.chunks.problem(message, display_path)])
    if result is None:
        message = "the configuration returns nothing; end it with `return { ... }`"
        raise ConfigError([Problem(display_path, message)])
    value, problems = lua_to_python(result, display_path)
    if problems:
        raise ConfigError(problems)
    return value


def _memory_problem(display_path: str, limits: Limits) -> Problem:
    mib = limits.max_memory_bytes // (1024 * 1024)
    return Problem(display_path, f"evaluation stopped: the configuration used more than {mib} MiB")


def _deny_attribute_access(obj: object, name: object, is_setting: bool) -> str:
    # Nothing in the sandbox holds a Python object, but if one ever slips in, Lua must not be
    # able to walk its attributes (`f.__globals__` …) to the host.
    raise AttributeError("Python attributes are not reachable from a configuration")


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    if isinstance(err, UnicodeDecodeError):
        return "not valid UTF-8 text"
    return str(err)


def _join(directory: str, relative: str) -> str:
    return f"{directory}/{relative}" if directory else relative
