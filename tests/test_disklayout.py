"""Sizes and the disk layout: one parser (`kodos.disklayout`) for validate, plan and install.

A `swap_size` no disk could have is a `kodos validate` problem at its configuration path, and
`kodos plan` reports the very same problem — never an install error, never a crash — because
the configuration model checks it with the parser `kodos install` partitions by.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kodos.disklayout import Layout, SizeError, disk_layout, parse_size

REPO = Path(__file__).resolve().parents[1]
KIB, MIB, GIB, TIB = (1024**power for power in (1, 2, 3, 4))
HUGE = "9" * 400 + "TB"  # a float infinity, once
NOT_A_SIZE = 'a size such as "4GB" or "512MiB"'
ZERO = "it must be more than zero"
TOO_LARGE = "it must be less than 8 EiB, the most Linux can address"

SIZES = [
    ("4GB", 4 * GIB),
    ("4GiB", 4 * GIB),
    ("4G", 4 * GIB),
    ("512MiB", 512 * MIB),
    ("512 mib", 512 * MIB),
    ("1.5G", 3 * GIB // 2),
    ("2T", 2 * TIB),
    ("1K", KIB),
    ("8388607TB", 8388607 * TIB),  # 1 TiB short of 8 EiB
]
BAD_SIZES = [
    ("0GB", ZERO),
    ("0.0M", ZERO),
    ("0.0000001K", ZERO),  # a tenth of a byte: no swap partition would be made
    ("-1GB", NOT_A_SIZE),
    ("3XB", NOT_A_SIZE),
    ("1.5.2GB", NOT_A_SIZE),
    ("4", NOT_A_SIZE),
    ("GB", NOT_A_SIZE),
    (" 4GB", NOT_A_SIZE),
    ("4GB of swap", NOT_A_SIZE),
    ("", NOT_A_SIZE),
    ("8388608TB", TOO_LARGE),  # 8 EiB exactly
    ("1" + "0" * 30 + "GB", TOO_LARGE),
    (HUGE, TOO_LARGE),
]


@pytest.mark.parametrize(("text", "size"), SIZES)
def test_sizes_parse_in_powers_of_1024(text: str, size: int) -> None:
    assert parse_size(text, "swap_size") == size


@pytest.mark.parametrize(("text", "explanation"), BAD_SIZES)
def test_a_bad_size_says_why(text: str, explanation: str) -> None:
    with pytest.raises(SizeError) as raised:
        parse_size(text, "--size")
    assert str(raised.value) == f"--size {text!r} is not a valid size: {explanation}"
    assert raised.value.explanation == explanation


def test_the_layout_of_a_configured_disk() -> None:
    assert disk_layout(None) == Layout()
    assert disk_layout("64MiB") == Layout(swap=64 * MIB)
    assert disk_layout("1.5G").summary() == (
        "GPT with a 512 MiB EFI system partition, 1.5 GiB swap and a Btrfs root on the rest "
        "(@home, kodos/generations/1)"
    )
    assert Layout(swap=64 * MIB).sfdisk_script() == (
        "label: gpt\nsize=512MiB, type=uefi, name=esp\nsize=64MiB, type=swap, name=swap\n"
        "type=linux, name=root\n"
    )


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodos", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def shown(text: str) -> str:
    """`text` as a configuration message quotes it: cut after 80 characters."""
    if len(text) <= 80:
        return f'"{text}"'
    return f'"{text[:80]}…" ({len(text)} characters)'


@pytest.mark.parametrize(("text", "explanation"), BAD_SIZES)
def test_validate_and_plan_report_a_bad_swap_size_at_its_path(
    text: str, explanation: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "configuration.lua").write_text(
        f'return {{ devices = {{ disk0 = {{ type = "disk", device = "/dev/vda", '
        f'swap_size = "{text}" }} }} }}\n'
    )
    problem = f"error: devices.disk0.swap_size: {shown(text)} is not a valid size: {explanation}\n"
    validated = kodos("validate", "-c", config)
    assert (validated.returncode, validated.stderr) == (1, f"{problem}{config}: 1 problem found\n")
    root = tmp_path / "root"
    root.mkdir()
    planned = kodos("plan", "-c", config, "--root", root)
    assert (planned.returncode, planned.stderr) == (1, problem)


def test_a_good_swap_size_is_planned_as_the_layout_install_makes(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "configuration.lua").write_text(
        'local disk = require("disk")\n'
        'return { devices = { disk0 = disk.disk_definition("/dev/vda", "1.5GB") } }\n'
    )
    root = tmp_path / "root"
    root.mkdir()
    planned = kodos("plan", "-c", config, "--root", root)
    assert planned.returncode == 0, planned.stderr
    assert (
        "note: devices.disk0: `kodos install` would lay out /dev/vda as GPT with a 512 MiB EFI "
        "system partition, 1.5 GiB swap and a Btrfs root on the rest (@home, "
        "kodos/generations/1); plan and apply never partition or format"
    ) in planned.stdout


def test_an_esp_mount_point_is_one_of_three_and_planned_as_install_makes_it(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "configuration.lua").write_text(
        'return { devices = { disk0 = { type = "disk", device = "/dev/vda", '
        'esp_mount = "/mnt/esp" } } }\n'
    )
    validated = kodos("validate", "-c", config)
    assert (validated.returncode, validated.stderr) == (
        1,
        "error: devices.disk0.esp_mount: unknown value '/mnt/esp'; expected one of /efi, /boot, "
        f"/boot/efi\n{config}: 1 problem found\n",
    )

    (config / "configuration.lua").write_text(
        'local disk = require("disk")\n'
        'return { devices = { disk0 = disk.disk_definition("/dev/vda", nil, '
        '{ esp_mount = "/boot" }) } }\n'
    )
    root = tmp_path / "root"
    root.mkdir()
    planned = kodos("plan", "-c", config, "--root", root)
    assert planned.returncode == 0, planned.stderr
    assert (
        "would lay out /dev/vda as GPT with a 512 MiB EFI system partition (mounted at /boot) "
        "and a Btrfs root on the rest"
    ) in planned.stdout
    assert disk_layout(None, "/boot").describe("/dev/vda", 4 * 1024 * MIB)[0] == (
        "/dev/vda1  512 MiB  vfat   EFI system partition (mounted at /boot)"
    )
