"""systemd-boot on an ESP inside a target root, with the real bootctl.

There is no vfat in the test machines' kernel, and bootctl refuses an ESP that is not the root
of a file system; `SYSTEMD_RELAX_ESP_CHECKS=1` lifts the file-system-type check, and a bind
mount of the directory onto itself makes it the root of a mount (a plain directory is refused
with "is not the root of the file system"). Needs root for the mount.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BOOT_TOOLS = ("bootctl", "mount", "umount")


@contextmanager
def esp_mounted(esp: Path) -> Iterator[Path]:
    """`esp` bind-mounted onto itself for the duration (bootctl needs a mount point)."""
    esp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", str(esp), str(esp)], check=True)
    try:
        yield esp
    finally:
        subprocess.run(["umount", str(esp)], check=True)


def bootctl(esp: Path, *args: str) -> str:
    env = {**os.environ, "SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_LOG_LEVEL": "err"}
    argv = ["bootctl", f"--esp-path={esp}", "--no-variables", "--no-pager", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr}")
    return done.stdout


def install_systemd_boot(esp: Path) -> None:
    """`bootctl install` onto `esp` (creates EFI/systemd, loader/loader.conf, loader/entries)."""
    with esp_mounted(esp):
        bootctl(esp, "install")


def listed_entries(esp: Path) -> list[dict[str, Any]]:
    """`bootctl list --json=short`: one JSON object a line, one line an entry."""
    with esp_mounted(esp):
        output = bootctl(esp, "list", "--json=short")
    return [json.loads(line) for line in output.splitlines() if line.strip()]
