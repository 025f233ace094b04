"""The one table of step ids and labels (kodos.steps), the applier's steps that use it, and
the one progress printer of apply and install."""

from __future__ import annotations

import pytest

from kodos.apply.execute import CHANGE_STEPS
from kodos.commands.progress import progress_printer
from kodos.steps import LABELS, Command, StepId, label, shown_steps

# The applier's steps in the order execute runs them (its module docstring lists why).
APPLIER_STEPS = [
    "configure-repositories",
    "install-packages",
    "configure-flatpak-remotes",
    "install-flatpaks",
    "update-users",
    "write-files",
    "enable-units",
    "disable-units",
    "delete-files",
    "delete-users",
    "uninstall-flatpaks",
    "remove-flatpak-remotes",
    "remove-packages",
    "follow-ups",
    "update-bootloader",
]


def test_every_step_has_one_row() -> None:
    assert list(LABELS) == list(StepId)


def test_the_applier_runs_its_steps_by_their_ids_and_none_is_shown() -> None:
    assert [step.id for step in CHANGE_STEPS] == APPLIER_STEPS
    assert all(LABELS[step.id] == (None, None) for step in CHANGE_STEPS)


def test_an_id_is_its_string() -> None:
    """Fault injection compares an environment variable with the id a checkpoint hears."""
    assert [StepId(text) for text in ("verify", "loader-default", "esp")] == [
        StepId.VERIFY,
        StepId.LOADER_DEFAULT,
        StepId.ESP,
    ]
    assert StepId.BTRFS_DEFAULT == "btrfs-default"
    assert f"{StepId.LOADER_DEFAULT}" == "loader-default"


def test_the_commit_is_shown_by_both_commands_in_their_own_words() -> None:
    commit = [StepId.VERIFY, StepId.RECORD, StepId.ENTRY, StepId.INDEX, StepId.LOADER_DEFAULT]
    assert [label(step, "apply") for step in commit] == [
        "verified: the new generation matches the configuration",
        "wrote the generation record",
        "wrote the boot entry",
        "added the generation to the index",
        "made it systemd-boot's default",
    ]
    assert [label(step, "install") for step in commit] == [
        "verified: generation 1 matches the configuration",
        "wrote the generation record",
        "wrote the boot entry",
        "wrote the index",
        "made generation 1 systemd-boot's default",
    ]


@pytest.mark.parametrize(
    ("command", "heard", "printed"),
    [
        (
            "apply",
            ["lock", "install-packages", "update-bootloader", "execute", "esp", "btrfs-default"],
            [
                "  ✓ took the machine's lock",
                "  ✓ applied the changes inside the snapshot",
                "  ✓ made it the Btrfs default subvolume",
            ],
        ),
        (
            "install",
            ["check", "lock", "partition", "bootloader", "index", "esp"],
            [
                "  ✓ partitioned the disk (GPT)",
                "  ✓ installed systemd-boot",
                "  ✓ wrote the index",
                "  ✓ wrote the ESP",
            ],
        ),
    ],
)
def test_the_progress_printer_prints_what_its_command_shows(
    capsys: pytest.CaptureFixture[str], command: Command, heard: list[str], printed: list[str]
) -> None:
    on_step = progress_printer(command)
    for step in heard:
        on_step(StepId(step))

    out, err = capsys.readouterr()
    assert (out, err.splitlines()) == ("", printed)


def test_shown_steps_are_in_the_order_they_happen() -> None:
    assert shown_steps("apply")[:6] == (
        StepId.LOCK,
        StepId.CLEANUP,
        StepId.PLAN,
        StepId.SNAPSHOT,
        StepId.EXECUTE,
        StepId.SYNC,
    )
    assert shown_steps("install")[-2:] == (StepId.BTRFS_DEFAULT, StepId.ESP)
