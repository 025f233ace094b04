"""`kodos vm` passes paths to QEMU as data (issue 17.8): commas, `=`, and prefixes QEMU would
read as a protocol (`nbd:`, `json:`) in the image, firmware and NVRAM paths.

QEMU is started paused (`-S`) with a QMP monitor and asked which files its drives opened, then
told to quit: it proves QEMU parsed every path whole, in a fraction of a second. `kodos vm`
itself then runs briefly on such paths: QEMU runs until the timeout instead of refusing its
command line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kodos.vm import Firmware, drive_file, find_firmware, qemu_argv
from tests.support.tools import require_tools
from tests.test_boot import kodos

AWKWARD = ("a,b", "x,,y", "readonly=on,if=none", "nbd:host", "json:{}")


def test_drive_file_doubles_commas_and_names_the_file_driver() -> None:
    assert drive_file(Path("/tmp/a,b/c,,d.img")) == (
        "file.driver=file,file.filename=/tmp/a,,b/c,,,,d.img"
    )


def _copies(directory: Path, name: str) -> tuple[Firmware, Path, Path]:
    """Firmware, an NVRAM copy and an image, all under `directory/name/`."""
    firmware = find_firmware()
    place = directory / name
    place.mkdir(parents=True)
    code = shutil.copyfile(firmware.code, place / f"code,{name}.fd")
    variables = shutil.copyfile(firmware.vars_template, place / f"vars,{name}.fd")
    image = place / f"{name},disk.img"
    with image.open("wb") as stream:
        stream.truncate(1 << 20)
    return Firmware(Path(code), Path(variables)), Path(variables), image


def _opened_files(argv: list[str], cwd: Path) -> list[str]:
    """The files QEMU's drives opened, asked over QMP from a paused QEMU."""
    commands = [{"execute": "qmp_capabilities"}, {"execute": "query-block"}, {"execute": "quit"}]
    done = subprocess.run(
        [*argv, "-S", "-qmp", "stdio"],
        input="".join(json.dumps(command) + "\n" for command in commands),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        answer = json.loads(line).get("return")
        if isinstance(answer, list):
            return [device["inserted"]["file"] for device in answer if "inserted" in device]
    raise AssertionError(f"no query-block answer: {done.stdout}")


@pytest.mark.system
@pytest.mark.parametrize("name", AWKWARD)
def test_qemu_opens_exactly_the_files_named(tmp_path: Path, name: str) -> None:
    require_tools("qemu-system-x86_64")
    firmware, variables, image = _copies(tmp_path, name)
    serial = f"file:{tmp_path / name / 'serial,log'}"

    absolute = qemu_argv("qemu-system-x86_64", firmware, variables, image, "tcg", serial)
    relative_image = image.relative_to(tmp_path)  # `nbd:host/...` as a relative path
    relative = qemu_argv("qemu-system-x86_64", firmware, variables, relative_image, "tcg", serial)

    assert _opened_files(absolute, tmp_path) == [str(firmware.code), str(variables), str(image)]
    assert _opened_files(relative, tmp_path)[-1] == str(relative_image)


@pytest.mark.system
def test_kodos_vm_runs_an_image_and_firmware_under_commas(tmp_path: Path) -> None:
    require_tools("qemu-system-x86_64")
    firmware, _, image = _copies(tmp_path, "my,images")
    scratch = tmp_path / "tmp,dir"  # the fresh NVRAM copy lands here
    scratch.mkdir()

    env = {"KODOS_OVMF_DIR": str(tmp_path / "ovmf,dir"), "TMPDIR": str(scratch)}
    Path(env["KODOS_OVMF_DIR"]).mkdir()
    shutil.copyfile(firmware.code, Path(env["KODOS_OVMF_DIR"]) / "OVMF_CODE_4M.fd")
    shutil.copyfile(firmware.vars_template, Path(env["KODOS_OVMF_DIR"]) / "OVMF_VARS_4M.fd")
    done = kodos("vm", image, "--timeout", "2", env=env, timeout=60)

    # Nothing boots from an empty disk: QEMU ran until the timeout instead of refusing its argv.
    assert done.returncode == 1
    assert "kodos vm: stopped the machine after 2 s (--timeout)" in done.stderr, done.stderr
