"""Golden plans: `kodos plan` of each example, text and JSON, compared with tests/golden/.

The plans are rendered by the real CLI against roots the real tools made (see
tests/golden/README.md for the cases), with the synthetic mirror's databases as `--sync-dir`.
Only the temporary root's path is replaced, by `<root>`, before comparing; everything else —
order, wording, digests — is pinned. `KODOS_UPDATE_GOLDEN=1` rewrites the files instead.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.state.generation import RECORD_PATH, GenerationRecord, Status
from kodos.system.jsonfile import write_json
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Mirror, write_pacman_conf
from tests.support.sync import mirror_sync_dir
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_root, require_tools
from tests.support.units import systemctl

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("KODOS_UPDATE_GOLDEN") == "1"
ROOT_PLACEHOLDER = "<root>"
CASES = (
    ("testvm", "empty"),
    ("testvm", "partial"),
    ("testvm", "managed"),
    ("desktop", "empty"),
    ("minimal", "empty"),
)
FORMATS = {"txt": (), "json": ("--json",)}

# The partial root: some of testvm's packages (git pulls in curl, which testvm also asks for,
# as a dependency), one package testvm does not name (neofetch) and one it never will (sudo).
PARTIAL_PACKAGES = ("git", "htop", "openssh", "networkmanager", "bluez", "neofetch", "sudo")
# The managed root's record: what an earlier generation put under kodos's management.
MANAGED = (
    "files.file[/etc/hostname]",  # configured, changed by hand since
    "files.file[/etc/sysctl.d/40-kodos-ipv6.conf]",  # no longer configured (ipv6 back on)
    "pacman.package[htop]",  # configured and as it should be
    "pacman.package[neofetch]",  # no longer configured, still installed
    "pacman.package[uv]",  # no longer configured, removed by hand already
    "pacman.package[zsh]",  # configured, removed by hand since
    "services.unit[sshd.service]",
    "users.user[demo-user]",  # configured; the configuration changed its shell since
)
# What the managed root's record says that generation left: the hostname file differs from it
# now (changed outside kodos); demo-user is as recorded, the configuration moved on.
RECORDED = {
    "files.file[/etc/hostname]": {"content": "testvm\n", "mode": "0644"},
    "users.user[demo-user]": {"shell": "/bin/bash"},
}
IPV6_OFF = (
    "# Managed by kodos: changes made here are replaced on the next apply.\n"
    "net.ipv6.conf.all.disable_ipv6 = 1\n"
    "net.ipv6.conf.default.disable_ipv6 = 1\n"
)


@dataclass(frozen=True)
class Rendered:
    stdout: str
    stderr: str
    exit_code: int


@pytest.fixture(scope="session")
def golden_roots(
    standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    require_tools(*PACMAN_TOOLS, "systemctl", "useradd", "chpasswd")
    require_root()
    directory = tmp_path_factory.mktemp("golden")
    empty = directory / "empty"
    empty.mkdir()
    partial = partial_root(standard_mirror, directory / "partial")
    managed = directory / "managed"
    shutil.copytree(partial, managed, symlinks=True)
    manage(managed)
    return {"empty": empty, "partial": partial, "managed": managed}


def partial_root(mirror: Mirror, directory: Path) -> Path:
    directory.mkdir()
    root = TargetRoot(make_root(directory / "root"), write_pacman_conf(directory / "conf", mirror))
    root.install("base")
    root.install(*PARTIAL_PACKAGES)
    for verb, unit in (
        ("enable", "sshd.service"),
        ("enable", "NetworkManager.service"),
        ("disable", "NetworkManager.service"),
    ):
        done = systemctl(root.path, verb, unit)
        assert done.returncode == 0, done.stderr
    user = load_config(str(REPO / "examples/testvm")).config.users["demo-user"]
    assert user.hashed_password is not None
    tool("useradd", "--root", root.path, "--create-home", "--comment", "Demo User",
         "--shell", "/bin/bash", "--groups", "audio,wheel", "demo-user")  # fmt: skip
    hashed = user.hashed_password.get_secret_value()
    tool("chpasswd", "--root", root.path, "--encrypted", stdin=f"demo-user:{hashed}\n")
    (root.path / "etc/hostname").write_text("archlinux\n")
    return root.path


def manage(root: Path) -> None:
    """What an earlier generation left: its record, and the sysctl file it wrote."""
    sysctl = root / "etc/sysctl.d/40-kodos-ipv6.conf"
    sysctl.parent.mkdir(parents=True, exist_ok=True)
    sysctl.write_text(IPV6_OFF)
    record = GenerationRecord(
        id=1,
        created=datetime(2024, 12, 1, 12, 0, tzinfo=UTC),
        status=Status.READY,
        config_digest="sha256:" + "0" * 64,
        managed=list(MANAGED),
        packages={"htop": "3.3.0-3", "neofetch": "7.1.0-2", "uv": "0.5.4-1", "zsh": "5.9-5"},
        kernel="linux-lts",
        desired=RECORDED,
    )
    (root / RECORD_PATH).parent.mkdir(parents=True)
    write_json(root / RECORD_PATH, record.model_dump(mode="json"))


def tool(*argv: str | Path, stdin: str | None = None) -> None:
    done = subprocess.run(
        [str(a) for a in argv], input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def rendered(
    golden_roots: dict[str, Path], standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, str], Rendered]:
    """Every case in every format, the kodos processes run side by side."""
    sync_dir = mirror_sync_dir(standard_mirror, tmp_path_factory.mktemp("golden-sync"))
    env = {**os.environ, "LC_ALL": "C"}
    running = {}
    for example, case in CASES:
        root = golden_roots[case]
        for fmt, flags in FORMATS.items():
            argv = [sys.executable, "-m", "kodos", "plan", "-c", f"examples/{example}",
                    "--root", str(root), "--sync-dir", str(sync_dir), *flags]  # fmt: skip
            process = subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            running[(example, case, fmt)] = (process, str(root))
    results = {}
    for key, (process, root) in running.items():
        stdout, stderr = process.communicate()
        results[key] = Rendered(stdout.replace(root, ROOT_PLACEHOLDER), stderr, process.returncode)
    return results


def golden_path(example: str, case: str, fmt: str) -> Path:
    return GOLDEN / example / f"{case}.{fmt}"


PARAMS = [
    pytest.param(example, case, fmt, id=f"{example}-{case}-{fmt}")
    for example, case in CASES
    for fmt in FORMATS
]


@pytest.mark.system
@pytest.mark.parametrize("example, case, fmt", PARAMS)
def test_plan_matches_golden(
    rendered: dict[tuple[str, str, str], Rendered], example: str, case: str, fmt: str
) -> None:
    result = rendered[(example, case, fmt)]
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    path = golden_path(example, case, fmt)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.stdout)
        return
    expected = path.read_text() if path.exists() else ""
    if result.stdout != expected:
        pytest.fail(_difference(path, expected, result.stdout), pytrace=False)


def _difference(path: Path, expected: str, actual: str) -> str:
    relative = path.relative_to(REPO)
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=str(relative),
        tofile="kodos plan (now)",
    )
    what = "differs from" if expected else "is missing; expected"
    return (
        f"{relative} {what} what kodos plan prints now:\n{''.join(diff)}\n"
        "If the change is intended, rewrite the golden files and review their diff:\n"
        "  KODOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_plan_golden.py"
    )


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {golden_path(e, c, f) for e, c in CASES for f in FORMATS}
    found = {path for path in GOLDEN.glob("*/*") if path.suffix in (".txt", ".json")}

    assert sorted(found - expected) == [], "stray golden files: delete them or add their case"
