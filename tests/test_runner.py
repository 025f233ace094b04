"""kodos.system.runner, the one way kodos runs commands: results, errors users read, secrets kept out
of errors and logs. Real programs (sh, cat, env), no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.system.runner import (
    OUTPUT_LINES,
    WITHHELD,
    CommandFailed,
    ProgramNotInstalled,
    run,
)

HASH = "$6$saltsalt$Yx2gJ0c8S0m3c0ntent0fAHashThatMustNeverBeSh0wn"


def sh(script: str) -> list[str]:
    """An argv running `script` in sh: the test's way to make a program fail on purpose."""
    return ["sh", "-c", script]


def test_run_captures_text_output() -> None:
    done = run(sh("echo out; echo err >&2"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "out\n", "err\n")


def test_env_is_merged_over_the_environment_in_the_c_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KODOS_TEST_INHERITED", "kept")
    done = run(["env"], env={"KODOS_TEST_GIVEN": "given"})
    lines = done.stdout.splitlines()
    assert {"KODOS_TEST_INHERITED=kept", "KODOS_TEST_GIVEN=given", "LC_ALL=C"} <= set(lines)
    assert run(["env"], env={"LC_ALL": "C.UTF-8"}).stdout.count("LC_ALL=C.UTF-8") == 1


def test_input_cwd_and_closed_stdin(tmp_path: Path) -> None:
    assert run(["cat"], input="to stdin\n").stdout == "to stdin\n"
    assert run(["cat"]).stdout == ""  # stdin closed: nothing waits for a terminal
    assert run(["pwd"], cwd=tmp_path).stdout.strip() == str(tmp_path)


def test_a_failing_command_raises_with_its_last_error_line() -> None:
    argv = sh("echo progress; echo 'error: first' >&2; echo 'error: the real one' >&2; exit 3")
    with pytest.raises(CommandFailed) as raised:
        run(argv)
    failed = raised.value
    assert isinstance(failed, KodosError)
    assert (failed.argv, failed.exit_code) == (argv, 3)
    assert failed.output == "error: first\nerror: the real one"
    assert str(failed) == "sh failed with exit code 3: the real one"


def test_without_stderr_the_error_is_stdouts_last_line() -> None:
    with pytest.raises(CommandFailed, match=r"^sh failed with exit code 1: last$"):
        run(sh("echo first; echo last; exit 1"))
    with pytest.raises(CommandFailed, match=r"exit code 2: \(no output\)$"):
        run(sh("exit 2"))


def test_the_programs_own_line_wins_over_indented_continuations() -> None:
    """mount's message comes before an indented hint; the headline names the program once."""
    script = (
        "echo 'sh: /mnt: special device /dev/nope does not exist.' >&2; "
        "echo '       dmesg(1) may have more information after failed mount system call.' >&2; "
        "exit 32"
    )
    with pytest.raises(CommandFailed) as raised:
        run(sh(script))
    assert str(raised.value) == (
        "sh failed with exit code 32: /mnt: special device /dev/nope does not exist."
    )


def test_output_keeps_only_the_last_lines() -> None:
    with pytest.raises(CommandFailed) as raised:
        run(sh("for i in $(seq 1 50); do echo line$i >&2; done; exit 1"))
    lines = raised.value.output.splitlines()
    assert len(lines) == OUTPUT_LINES
    assert lines[-1] == "line50"


def test_check_false_returns_the_failure() -> None:
    done = run(sh("echo nope >&2; exit 4"), check=False)
    assert (done.returncode, done.stderr) == (4, "nope\n")


def test_a_missing_program_says_it_is_not_installed() -> None:
    for check in (True, False):
        with pytest.raises(ProgramNotInstalled) as raised:
            run(["kodos-no-such-program", "--flag"], check=check)
        assert isinstance(raised.value, CommandFailed)
        assert raised.value.exit_code == 127
        assert str(raised.value) == "kodos-no-such-program is not installed"


def test_a_missing_working_directory_is_not_a_missing_program(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        run(["true"], cwd=tmp_path / "absent")


def test_fakeroot_is_not_the_program_that_failed() -> None:
    failed = CommandFailed(["fakeroot", "--", "/usr/bin/pacman", "-Sy"], 1, "error: no")
    assert str(failed) == "pacman failed with exit code 1: no"
    missing = ProgramNotInstalled(["fakeroot", "--", "pacman", "-Sy"])
    assert str(missing) == "fakeroot is not installed"


def test_secret_input_never_reaches_the_error() -> None:
    """A program that repeats its input (as a confused chpasswd might) must not leak it."""
    echo_back = sh("cat >&2; echo 'chpasswd: line 1: cannot update password' >&2; exit 1")
    secret = f"demo-user:{HASH}\n"

    with pytest.raises(CommandFailed) as raised:
        run(echo_back, input=secret, secret_input=True)
    failed = raised.value
    for text in (str(failed), failed.output, failed.message, repr(failed.args), str(failed.argv)):
        assert HASH not in text
    assert failed.output.splitlines() == [WITHHELD, "chpasswd: line 1: cannot update password"]

    with pytest.raises(CommandFailed) as control:  # the same without the flag does repeat it
        run(echo_back, input=secret)
    assert HASH in control.value.output


def test_debug_log_shows_argv_but_not_input(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KODOS_DEBUG_COMMANDS", "1")
    run(["cat", "-"], input=HASH, secret_input=True)
    logged = capfd.readouterr().err
    assert "kodos: running cat -" in logged
    assert HASH not in logged

    monkeypatch.delenv("KODOS_DEBUG_COMMANDS")
    run(["true"])
    assert capfd.readouterr().err == ""


def test_a_logged_command_writes_both_streams_in_order_and_fails_with_the_logs_end(
    tmp_path: Path,
) -> None:
    log = tmp_path / "build.log"
    log.write_text("earlier\n")
    done = run(sh("echo one; echo two >&2; echo three"), log=log)
    assert (done.stdout, done.stderr) == ("one\ntwo\nthree\n", "")
    assert log.read_text() == "earlier\none\ntwo\nthree\n"
    with pytest.raises(CommandFailed) as raised:
        run(sh("echo compiling; echo 'error: broken' >&2; exit 4"), log=log)
    assert str(raised.value) == "sh failed with exit code 4: broken"
    assert raised.value.output == "compiling\nerror: broken"
    with pytest.raises(ProgramNotInstalled):
        run(["kodos-no-such-program"], log=log)
