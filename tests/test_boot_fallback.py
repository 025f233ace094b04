"""The boot proof's fallback: a generation whose boot never completes uses up its three tries,
then systemd-boot boots the generation before it by itself — no kodos command in between, only
QEMU started again after each reset (docs/generations.md, "Boot counting").

The test system has no systemd, so nothing blesses a boot: generation 1 is never booted before
generation 2 fails, and keeps its tries. Each boot's time is printed, and the whole proof's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.bootable import FAILING, MARKER_LINE, bootable_config
from tests.support.installing import installed_machine
from tests.support.mirror import Mirror
from tests.test_apply import kodos, write_config
from tests.test_boot import (  # noqa: F401 (fixtures)
    _boot_times_on_the_terminal,
    boot_image,
    entry_files,
    kernel,
    kodos_on_image,
    machine,
    mirror,
    say,
    sync_dir,
)

TRIES = 3


@pytest.mark.system
def test_a_generation_that_never_boots_falls_back_within_its_tries(
    mirror: Mirror,  # noqa: F811
    sync_dir: Path,  # noqa: F811
    machine: tuple[Path, Path],  # noqa: F811
) -> None:
    image, work = machine
    started = time.monotonic()
    first = write_config(work, bootable_config(mirror))
    broken = write_config(work, bootable_config(mirror, "kodos-proof-fail"), "broken")
    done = kodos(
        "install", "-c", first, "--image", image, "--size", "2G", "--sync-dir", sync_dir,
        "--siglevel", "Never", "--yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    kodos_on_image(image, work / "apply", "apply", "-c", broken, "--yes")
    assert entry_files(image) == ["kodos-1+3.conf", "kodos-2+3.conf"]

    booted = None
    for attempt in range(1, TRIES + 2):
        result = boot_image(image, work / f"{attempt}.log", f"attempt {attempt}")
        found = MARKER_LINE.search(result.log)
        if found:
            booted = (attempt, found["generation"])
            break
        assert f"{FAILING} generation=2" in result.log, result.log

    assert booted == (TRIES + 1, "1")  # generation 2's three tries, then generation 1
    assert entry_files(image) == ["kodos-1+2-1.conf", "kodos-2+0-3.conf"]
    with installed_machine(image, work / "list") as root:
        listed = kodos("generations", "list", "--root", root, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [(r["id"], r["default"], r["boot"]) for r in json.loads(listed.stdout)]
    assert rows == [(1, True, "trial"), (2, False, "bad")]  # kodos sees what systemd-boot did
    say(f"fallback proof: {time.monotonic() - started:.1f} s")
