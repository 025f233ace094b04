"""The one way kodos runs a command: an argv list, never a shell.

Every external program kodos drives (pacman, btrfs, mount, bootctl, useradd, chpasswd...) goes
through `run`, so the rules live in one place:

* the command runs in the C locale (`LC_ALL=C`), so the messages kodos matches and shows read
  the same on every machine; `env` is merged over that (and over `os.environ`);
* stdin is closed unless `input` is given, so no command can ever wait on a prompt;
* output is captured and decoded as UTF-8, undecodable bytes replaced rather than crashing;
* a failure raises `CommandFailed` carrying argv, exit code and the last lines of output —
  never the input, which may hold password hashes (`chpasswd -e`);
* `KODOS_DEBUG_COMMANDS=1` logs each argv to stderr (argv only: secrets travel as input).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kodos.errors import KodosError
from kodos.text.lazyregex import lazy

DEBUG_VARIABLE = "KODOS_DEBUG_COMMANDS"
OUTPUT_LINES = 20
LOGGED_TAIL_BYTES = 1 << 20
"""How much of what a command wrote to its `log` `run` reads back (the end of it)."""
"""How many trailing lines of a failed command's output `CommandFailed.output` keeps."""

NOT_INSTALLED_EXIT_CODE = 127  # what a shell reports for a program it cannot find
WITHHELD = "[line withheld: it repeated secret input]"
# Input fields shorter than this (user names, "x") are ordinary words in messages, not secrets.
_SECRET_FIELD_MIN = 8
_ERROR_PREFIX = lazy(r"^(error|fatal):\s*", re.IGNORECASE)


class CommandFailed(KodosError):
    """A command exited non-zero.

    `output` holds the last `OUTPUT_LINES` lines it wrote (stderr, or stdout when stderr was
    empty), never the input it was given; lines repeating a secret input are withheld.
    `message` is the one line after "<program> failed with exit code N: " — by default the
    last error line of `output`; callers that know the program better (pacman's several
    `error:` lines) may pass their own.
    """

    def __init__(
        self, argv: Sequence[str], exit_code: int, output: str, *, message: str | None = None
    ) -> None:
        self.argv = list(argv)
        self.exit_code = exit_code
        self.output = output
        self.message = message if message is not None else last_error_line(output, self.program)
        super().__init__(self.headline())

    @property
    def program(self) -> str:
        return program_name(self.argv)

    def headline(self) -> str:
        return f"{self.program} failed with exit code {self.exit_code}: {self.message}"


class ProgramNotInstalled(CommandFailed):
    """The program could not be found at all (exit code 127, as a shell would say)."""

    def __init__(self, argv: Sequence[str]) -> None:
        # argv[0] itself, not program_name(): when fakeroot is missing, pacman is not.
        missing = Path(argv[0]).name
        super().__init__(argv, NOT_INSTALLED_EXIT_CODE, "", message=f"{missing} is not installed")

    def headline(self) -> str:
        return self.message


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,  # the name subprocess.run uses
    cwd: Path | None = None,
    check: bool = True,
    secret_input: bool = False,
    log: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` and return what it did; with `check`, raise `CommandFailed` on a non-zero
    exit. A program that is not installed raises `ProgramNotInstalled` either way.

    `secret_input` marks `input` as secret: any output line repeating a piece of it is
    withheld from the error, so a hash never reaches a terminal or a log. `log` appends
    stdout and stderr to that file, interleaved as written (a build log), instead of
    capturing them: the result's stdout is then the end of what this command wrote there.
    """
    command = [str(word) for word in argv]
    if not command:
        raise ValueError("run() needs a program to run")
    _log(command, cwd)
    if log is not None:
        done = _spawn_logged(command, env=env, input=input, cwd=cwd, log=log)
    else:
        done = _spawn(command, env=env, input=input, cwd=cwd)
    if check and done.returncode != 0:
        raise failure(done, secret_input=input if secret_input else None)
    return done


def failure(
    done: subprocess.CompletedProcess[str], *, secret_input: str | None = None
) -> CommandFailed:
    """The `CommandFailed` for a finished command, for callers that ran with `check=False`
    and decided its exit code is a failure. Lines repeating `secret_input` are withheld."""
    output = tail(done.stderr if done.stderr.strip() else done.stdout)
    secrets = _secret_pieces(secret_input)
    if secrets:
        output = _withhold(output, secrets)
    return CommandFailed(done.args, done.returncode, output)


def tail(text: str, lines: int = OUTPUT_LINES) -> str:
    """The last `lines` non-blank lines of `text`, right-stripped."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def last_error_line(output: str, program: str = "") -> str:
    """The line a user should read: the last one that says `error:` or starts with the
    program's name (`mount: /x: ...`), else the last one; that prefix is dropped, since the
    headline names the program already."""
    # Indented lines continue the one above (mount's "dmesg(1) may have more information").
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    heads = [line for line in lines if not line[0].isspace()] or lines
    if not heads:
        return "(no output)"
    own = f"{program}: " if program else None
    flagged = [h for h in heads if _ERROR_PREFIX.match(h) or (own and h.startswith(own))]
    line = (flagged or heads)[-1].strip()
    if own and line.startswith(own):
        line = line.removeprefix(own)
    return _ERROR_PREFIX.sub("", line) or line


def program_name(argv: Sequence[str]) -> str:
    """The program a user knows: `pacman` for `/usr/bin/pacman`, also when fakeroot runs it
    (an unprivileged plan runs `fakeroot -- pacman ...`, see kodos.pacman.syncdb)."""
    words = list(argv)
    if len(words) > 2 and Path(words[0]).name == "fakeroot" and words[1] == "--":
        words = words[2:]
    return Path(words[0]).name if words else "?"


def _spawn(
    command: list[str], *, env: Mapping[str, str] | None, input: str | None, cwd: Path | None
) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, "LC_ALL": "C", **(env or {})}
    if cwd is not None and not cwd.is_dir():
        # subprocess reports a missing cwd as FileNotFoundError too: keep it apart from a
        # missing program, it is a bug in the caller.
        raise NotADirectoryError(f"cannot run {command[0]} in {cwd}: not a directory")
    try:
        return subprocess.run(
            command,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            env=merged,
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError as err:
        raise ProgramNotInstalled(command) from err


def _spawn_logged(
    command: list[str],
    *,
    env: Mapping[str, str] | None,
    input: str | None,
    cwd: Path | None,
    log: Path,
) -> subprocess.CompletedProcess[str]:
    with log.open("ab") as stream:
        start = stream.seek(0, os.SEEK_END)
        try:
            finished = subprocess.run(
                command,
                input=input.encode() if input is not None else None,
                stdin=subprocess.DEVNULL if input is None else None,
                stdout=stream,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LC_ALL": "C", **(env or {})},
                cwd=cwd,
                check=False,
            )
        except FileNotFoundError as err:
            raise ProgramNotInstalled(command) from err
    with log.open("rb") as stream:
        end = stream.seek(0, os.SEEK_END)
        stream.seek(max(start, end - LOGGED_TAIL_BYTES))
        written = stream.read().decode("utf-8", errors="replace")
    return subprocess.CompletedProcess(command, finished.returncode, written, "")


def _secret_pieces(secret: str | None) -> list[str]:
    """What must not appear in an error: each input line, and each long field of it
    (`user:$6$salt$hash` — the hash alone is secret too)."""
    if not secret:
        return []
    lines = [line.strip() for line in secret.splitlines() if line.strip()]
    fields = [f for line in lines for f in re.split(r"[:\s]+", line) if len(f) >= _SECRET_FIELD_MIN]
    return [*lines, *fields]


def _withhold(output: str, secrets: Sequence[str]) -> str:
    return "\n".join(
        WITHHELD if any(secret in line for secret in secrets) else line
        for line in output.splitlines()
    )


def _log(command: list[str], cwd: Path | None) -> None:
    if os.environ.get(DEBUG_VARIABLE) != "1":
        return
    where = f" (in {cwd})" if cwd is not None else ""
    print(f"kodos: running {shlex.join(command)}{where}", file=sys.stderr, flush=True)
