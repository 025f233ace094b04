"""Evaluate a configuration file in the Lua sandbox and return it as plain Python data.

Each evaluation gets a fresh Lua 5.4 runtime (creating one costs ~0.1 ms), so nothing a
configuration does can leak into the next. Errors come back as `ConfigError` whose problems are
located by `file:line`, with the chunk names Lua reports mapped back to the paths a user knows.

Strings cross the boundary as bytes (the runtime has no encoding): Lua strings are byte
strings, and a config holding invalid UTF-8 must become a located problem, not a crash inside
lupa's automatic decoding.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kodos.errors import ConfigError, Problem
from kodos.lua.convert import MAX_VALUES, lua_to_python
from kodos.lua.hints import hint_for
from kodos.lua.sources import SourceRefused, read_source, resolved_root
from kodos.text.lazyregex import lazy
from kodos.text.shown import MAX_SHOWN_CHARS, at_most, cut

if TYPE_CHECKING:
    from kodos.lua.guard import Breach

SANDBOX_SOURCE = (Path(__file__).parent / "sandbox.lua").read_text(encoding="utf-8")

# Lua reports `chunkname:line: message`; chunk names are short relative names (Lua truncates
# long ones to 60 characters), translated back to display paths by `_Chunks`.
_LOCATED = lazy(r"^(?P<chunk>[^\s:][^:\n]*?)(:(?P<line>\d+))?: (?P<message>.*)$", re.DOTALL)
_MODULE_SUFFIX = ".lua"
# Lua shortens chunk names longer than 60 bytes in its messages; longer or unusual names get a
# short id that `_Chunks` maps back.
_PLAIN_CHUNK_NAME = lazy(r"[\w./+-]{1,50}")
# The module-name rule sandbox.lua applies (`^[%w_%-]+[%w_%-%.]*$`, no "..", no final ".").
_MODULE_NAME = lazy(r"[A-Za-z0-9_-]+[A-Za-z0-9_.-]*")
_MAX_MODULE_NAME = 255  # a file name's limit; longer names are no module's
_NAME_RULE = "(at most 255 of letters, digits, '_' and '-', with '.' between directory parts)"


@dataclass(frozen=True, slots=True)
class Limits:
    """How far a configuration may go before evaluation is stopped.

    The instruction count stops ordinary endless loops with their line; the wall-clock
    deadline and the memory cap hold for everything else (code that runs with the hook off or
    inside C, and the conversion of the result), enforced on the child process the evaluation
    runs in (kodos.lua.guard).
    """

    max_memory_bytes: int = 256 * 1024 * 1024
    max_instructions: int = 50_000_000
    wall_seconds: float = 10.0
    max_values: int = MAX_VALUES


def lua_lib_dir() -> Path:
    """The directory of kodos's own Lua modules (`lua-lib/` in the source tree). The package
    is always a directory (its Lua files are read by path), so it is found from the package
    itself: importlib.resources would cost every start its imports (zipfile, tempfile…)."""
    return Path(importlib.import_module("kodos.lualib").__path__[0])


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

    def add_data(self, display_path: str, text: str) -> None:
        """A data file the configuration read (`kodos.data`): one of its own files, never a
        chunk Lua reports."""
        self.sources[f"data:{display_path}"] = text
        self.display[f"data:{display_path}"] = display_path

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
            return Problem(fallback_location, cut(first_line.strip()))
        chunk, message = match["chunk"], cut(match["message"].strip())
        if match["line"] is None:
            return Problem(self.display[chunk], message)
        line = int(match["line"])
        source_lines = self.sources[chunk].splitlines()
        source_line = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
        return Problem(f"{self.display[chunk]}:{line}", message, hint_for(message, source_line))


@dataclass(frozen=True, slots=True)
class _Root:
    """A directory modules are read from: resolved, and as error messages name it."""

    directory: Path
    display: str | None  # None: kodos's lua-lib, named by its real path
    library: bool = False


class _Host:
    """The only things the sandbox may ask of Python: module text, data files of the
    configuration's directory (`kodos.data`), and stderr for `print`."""

    def __init__(
        self, roots: tuple[_Root, ...], chunks: _Chunks, write_stderr: Callable[[str], None]
    ) -> None:
        self.roots = roots
        self.resolved = tuple(root.directory for root in roots)
        self.chunks = chunks
        self._write_stderr = write_stderr
        self.make_table: Callable[[Any], Any] = lambda value: value  # set once a runtime exists

    def read_json(self, raw_name: bytes) -> tuple[Any, bytes | None]:
        from kodos.lua.datafiles import DataFileError, read_json_file, to_lua_data

        config = self.roots[0]
        try:
            value, shown, text = read_json_file(
                config.directory, config.display or "", raw_name.decode("utf-8", "replace")
            )
        except DataFileError as err:
            return None, str(err).encode()
        self.chunks.add_data(shown, text)
        data = to_lua_data(value)
        return (self.make_table(data) if isinstance(data, dict | list) else data), None

    def read_module(self, raw_name: bytes) -> tuple[bytes | None, bytes]:
        name = raw_name.decode("utf-8", "replace")
        # The sandbox checks names with its own saved functions; checked again here, because
        # a module path must never leave the directories whatever the Lua side says.
        if (
            len(name) > _MAX_MODULE_NAME
            or not _MODULE_NAME.fullmatch(name)
            or ".." in name
            or name.endswith(".")
        ):
            message = f"require: invalid module name {cut(name, MAX_SHOWN_CHARS)} {_NAME_RULE}"
            return None, message.encode()
        relative = name.replace(".", "/") + _MODULE_SUFFIX
        for root in self.roots:
            candidate = root.directory / relative
            display = _join(root.display, relative) if root.display is not None else None
            try:
                source = read_source(candidate, self.resolved)
            except (OSError, UnicodeDecodeError, SourceRefused) as err:
                shown = display or str(candidate)
                return None, f"require: cannot read {shown}: {_reason(err)}".encode()
            if source is None:
                continue
            if root.library:
                chunk = self.chunks.add(f"lua-lib/{relative}", str(candidate), source, library=True)
                return source.encode(), chunk
            return source.encode(), self.chunks.add(relative, display or relative, source)
        looked = [_join(root.display, relative) for root in self.roots if root.display is not None]
        looked.append(f"lua-lib/{relative}")
        where = ", ".join(looked[:-1]) + " and " + looked[-1]
        return None, f"require: module '{name}' not found (looked for {where})".encode()

    def write_stderr(self, text: bytes) -> None:
        self._write_stderr(text.decode("utf-8", "replace"))


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
    config_file: Path,
    display_path: str,
    limits: Limits | None = None,
    lua_path: Sequence[Path] = (),
    *,
    may_be_link: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> Evaluation:
    """`evaluate_file`, also telling which of the configuration's files were loaded.

    Runs in a guarded child process (kodos.lua.guard): a configuration that outruns the
    deadline or the memory cap in any way — in C, in a finalizer, in the conversion of its
    result — is stopped with a located problem. `lua_path` names more directories modules
    may come from (`--lua-path`), searched after the configuration's own.

    The file must be a regular file inside the directory it is named in (a descriptor in a
    configuration's `expansions/` that links elsewhere is refused), unless `may_be_link`: the
    file `-c` names may be a link (into a dotfiles repository, say), and its directory is then
    the one it leads to — its modules are the ones beside it. `meanwhile` runs in this
    process while the child evaluates (kodos.lua.guard).
    """
    from kodos.lua.guard import Breach, run_guarded

    limits = limits or Limits()
    if not lua_path and _is_kodos_own(config_file):
        # kodos's own files (the expansion descriptors in lua-lib) can require nothing but
        # lua-lib: no configuration's code runs in them, so they need no guard — and a plan
        # evaluates several of them.
        if meanwhile is not None:
            meanwhile()
        return evaluate_config_in_process(config_file, display_path, limits)
    importlib.import_module("lupa.lua54")  # imported here, once, rather than in every child

    def work(emit: Callable[[str], None]) -> Any:
        try:
            evaluation = evaluate_config_in_process(
                config_file,
                display_path,
                limits,
                lua_path,
                may_be_link=may_be_link,
                write_stderr=emit,
            )
        except ConfigError as err:
            return {"problems": [[p.location, p.message, p.hint] for p in err.problems]}
        return {"value": evaluation.value, "sources": evaluation.sources}

    try:
        answer = run_guarded(
            work,
            wall_seconds=limits.wall_seconds,
            memory_bytes=limits.max_memory_bytes,
            on_output=_to_stderr,
            meanwhile=meanwhile,
        )
    except Breach as breach:
        raise ConfigError([_breach_problem(breach, display_path, limits)]) from None
    if "problems" in answer:
        raise ConfigError([Problem(*fields) for fields in answer["problems"]])
    sources = tuple((display, text) for display, text in answer["sources"])
    return Evaluation(answer["value"], sources)


def evaluate_config_in_process(
    config_file: Path,
    display_path: str,
    limits: Limits | None = None,
    lua_path: Sequence[Path] = (),
    *,
    may_be_link: bool = False,
    write_stderr: Callable[[str], None] | None = None,
) -> Evaluation:
    """`evaluate_config` in this process, without the deadline or the memory cap.

    Only for the guarded child and for measuring what guarding costs (benchmarks/evaluate.py):
    a configuration can hang this call or make it take all the memory it wants.
    """
    limits = limits or Limits()
    named_in = Path(os.path.realpath(config_file)).parent if may_be_link else config_file.parent
    config_dir = resolved_root(named_in)
    display_dir = display_path.rpartition("/")[0]
    roots = (
        _Root(config_dir, display_dir),
        *(_Root(resolved_root(directory), str(directory)) for directory in lua_path),
        _Root(resolved_root(lua_lib_dir()), None, library=True),
    )
    try:
        source = read_source(config_file, (config_dir,))
    except (OSError, UnicodeDecodeError, SourceRefused) as err:
        raise ConfigError([Problem(display_path, f"cannot read: {_reason(err)}")]) from err
    if source is None:
        raise ConfigError([Problem(display_path, "no such file or directory")])
    chunks = _Chunks()
    chunkname = chunks.add(config_file.name, display_path, source)
    host = _Host(roots, chunks, write_stderr or _to_stderr)
    value = _run(source.encode(), chunkname, host, config_dir, limits, display_path)
    return Evaluation(value, chunks.own_sources())


def _run(
    source: bytes, chunkname: bytes, host: _Host, config_dir: Path, limits: Limits, display: str
) -> Any:
    from lupa import lua54

    runtime = lua54.LuaRuntime(
        encoding=None,
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        max_memory=limits.max_memory_bytes,
        attribute_filter=_deny_attribute_access,
    )
    host.make_table = lambda value: runtime.table_from(value, recursive=True)
    host_table = runtime.table_from(
        {
            b"read_module": host.read_module,
            b"read_json": host.read_json,
            b"write_stderr": host.write_stderr,
            b"config_dir": str(config_dir).encode(),
        }
    )
    try:
        run = runtime.execute(SANDBOX_SOURCE, host_table, limits.max_instructions)
        ok, result = run(source, chunkname)
    except lua54.LuaMemoryError as err:
        raise ConfigError([_memory_problem(display, limits)]) from err
    finally:
        # The runtime holds the host and the host's table maker held the runtime: broken
        # here, so the runtime closes (running the configuration's finalizers, under the
        # guard's deadline) as soon as the last reference goes, garbage collector or not.
        host.make_table = _no_tables
    if not ok:
        message = result.decode("utf-8", "replace")
        if message == "not enough memory":
            raise ConfigError([_memory_problem(display, limits)])
        raise ConfigError([host.chunks.problem(message, display)])
    if result is None:
        message = "the configuration returns nothing; end it with `return { ... }`"
        raise ConfigError([Problem(display, message)])
    value, problems = lua_to_python(result, display, limits.max_values)
    if problems:
        raise ConfigError(at_most(problems))
    return value


def _no_tables(value: Any) -> Any:
    raise RuntimeError("the evaluation is over: no Lua runtime to make tables in")


def _is_kodos_own(file: Path) -> bool:
    library = str(resolved_root(lua_lib_dir()))
    return os.path.realpath(file).startswith(library + "/")


def _to_stderr(text: str) -> None:
    sys.stderr.write(text)


def _breach_problem(breach: Breach, display_path: str, limits: Limits) -> Problem:
    if breach.kind == "time":
        seconds = f"{limits.wall_seconds:g} second{'' if limits.wall_seconds == 1 else 's'}"
        return Problem(
            display_path, f"evaluation stopped after {seconds}; is there an endless loop?"
        )
    if breach.kind == "memory":
        return _memory_problem(display_path, limits)
    return Problem(display_path, f"evaluation stopped: the evaluator ended with {breach.detail}")


def _memory_problem(display_path: str, limits: Limits) -> Problem:
    mib = limits.max_memory_bytes // (1024 * 1024)
    return Problem(display_path, f"evaluation stopped: the configuration used more than {mib} MiB")


def _deny_attribute_access(obj: object, name: object, is_setting: bool) -> str:
    # Nothing in the sandbox holds a Python object, but if one ever slips in, Lua must not be
    # able to walk its attributes (`f.__globals__` …) to the host.
    raise AttributeError("Python attributes are not reachable from a configuration")


def _reason(err: BaseException) -> str:
    if isinstance(err, SourceRefused):
        return err.reason
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    if isinstance(err, UnicodeDecodeError):
        return "not valid UTF-8 text"
    return str(err)


def _join(directory: str, relative: str) -> str:
    return f"{directory}/{relative}" if directory else relative
