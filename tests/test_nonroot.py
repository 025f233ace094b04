"""Read-only commands as a normal user, run as one for real (`setpriv` to uid 65534): `plan`
works and says what it could not read; what needs root says so in one line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.generations.baseroot import unread_default_note
from kodos.state.generation import RECORD_PATH
from kodos.system.runner import run
from tests.support.btrfs import BtrfsMachine, btrfs_machine
from tests.support.mirror import Mirror
from tests.support.privilege import as_nobody, world_readable_directory
from tests.support.tools import require_tools
from tests.test_apply import FIRST, apply, write_config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def shared_machine(standard_mirror: Mirror) -> Iterator[tuple[BtrfsMachine, Path]]:
    """A machine kodos built generation 1 on (it boots next; @, generation 0, runs), in a
    directory a normal user can read, with FIRST's configuration beside it."""
    require_tools("setpriv", "btrfs")
    with (
        world_readable_directory() as directory,
        btrfs_machine(directory, standard_mirror) as machine,
    ):
        config = write_config(directory, FIRST)
        done = apply(machine, config)
        assert done.returncode == 0, done.stderr
        yield machine, config


def kodos_as_nobody(*args: str | Path) -> tuple[int, str, str]:
    done = as_nobody([sys.executable, "-m", "kodos", *map(str, args)], cwd=REPO)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.system
def test_plan_as_a_normal_user_says_what_it_could_not_read(
    shared_machine: tuple[BtrfsMachine, Path],
) -> None:
    machine, config = shared_machine
    status, out, err = kodos_as_nobody("plan", "-c", config, "--root", machine.root)

    assert status == 0, err
    assert "Traceback" not in err
    # the running root (generation 0) was planned, and the plan says it is not generation 1
    assert "+ pacman.package[htop]" in out
    assert (
        f"note: planned against the running root ({machine.root}): which generation boots next "
        "is on the ESP (/efi/loader), which a normal user cannot read; run as root (sudo) to "
        "plan against it"
    ) in out
    # an ESP a normal user may read (mounted with a looser umask) tells which one boots next
    run(["chmod", "-R", "o+rX", str(machine.root / "efi")])
    status, out, err = kodos_as_nobody("plan", "-c", config, "--root", machine.root)
    assert status == 0, err
    assert (
        f"note: planned against the running root ({machine.root}), not generation 1: a normal "
        "user cannot read generations on the Btrfs top level; run as root (sudo) to plan "
        "against it"
    ) in out
    assert (
        "note: users: /etc/shadow is not readable (Permission denied; reading it needs root): "
        "passwords are unknown and not compared"
    ) in out


@pytest.mark.system
def test_commands_that_need_root_say_so_in_one_line(
    shared_machine: tuple[BtrfsMachine, Path],
) -> None:
    machine, config = shared_machine
    needing_root = {
        ("generations", "list"): "kodos generations list",
        ("generations", "show", "1"): "kodos generations show",
        ("generations", "diff", "0", "1"): "kodos generations diff",
        ("generations", "delete", "1", "--yes"): "kodos generations delete",
        ("generations", "gc", "--keep", "1", "--yes"): "kodos generations gc",
        ("generations", "repair"): "kodos generations repair",
        ("rollback", "0"): "kodos rollback",
        ("apply", "-c", str(config), "--yes"): "kodos apply",
    }
    for args, command in needing_root.items():
        assert kodos_as_nobody(*args, "--root", machine.root) == (
            1,
            "",
            f"error: {command} needs root: run as root (sudo)\n",
        )
    status, out, _ = kodos_as_nobody("validate", "-c", config)
    assert (status, out.splitlines()[0]) == (0, f"{config}/configuration.lua: valid")


def test_the_note_only_when_another_generation_may_boot(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / RECORD_PATH).parent.mkdir(parents=True)
    assert unread_default_note(root) is None  # no trace of kodos: nothing else to plan against

    loader = root / "efi/loader/loader.conf"
    loader.parent.mkdir(parents=True)
    loader.write_text("timeout 3\ndefault kodos-4.conf\n")
    assert unread_default_note(root) == (
        f"planned against the running root ({root}), not generation 4: a normal user cannot "
        "read generations on the Btrfs top level; run as root (sudo) to plan against it"
    )
    (root / RECORD_PATH).write_text(
        '{"id": 4, "created": "2024-05-01T12:00:00Z", "status": "ready", '
        '"config_digest": "sha256:x", "managed": []}'
    )
    assert unread_default_note(root) is None  # the running root is the one that boots
    loader.write_text("default kodos-5.conf\n")
    assert "(generation 4, " in (unread_default_note(root) or "")
    loader.unlink()
    assert unread_default_note(root) == (
        f"planned against the running root (generation 4, {root}), not the generation that "
        "boots next: a normal user cannot read generations on the Btrfs top level; run as root "
        "(sudo) to plan against it"
    )
