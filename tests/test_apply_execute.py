"""`execute` end to end: each example planned against a fresh root, applied with the real tools
(pacman, flatpak, useradd/usermod/chpasswd, systemctl, plain files, an ESP directory), and the
re-plan must be empty. Then updates (drift put back) and deletes of managed resources on a
private copy of an applied root, each also ending in an empty plan.

The AUR packages the examples name are installed beforehand with `pacman -U` (execute refuses
to build them, see tests/test_apply_execute_refusals.py), which takes them out of the plan.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kodos.apply.execute import execute
from kodos.pacman.confread import rendered
from kodos.plan.build import PlanOptions, PlanResult, make_plan
from kodos.plan.diff import diff
from kodos.plan.machine import read_machine
from kodos.plan.model import Action, Plan
from kodos.resources import ResourceSet
from kodos.secrets import PlainPassword
from kodos.state.generation import RECORD_PATH, GenerationRecord, Status
from kodos.system.jsonfile import write_json
from tests.support.applying import add_flatpak_remote, applicable_root, change, install_built
from tests.support.catalog import aur_builds
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.flatpak import (
    FLATPAK_TOOLS,
    App,
    FlatpakRepo,
    build_flatpak_repo,
    flatpak,
    listed_apps,
)
from tests.support.mirror import Mirror
from tests.support.sync import mirror_sync_dir
from tests.support.target import TargetRoot
from tests.support.tools import require_root, require_tools
from tests.support.units import is_enabled, systemctl

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = ("testvm", "desktop", "minimal")
ACCOUNT_TOOLS = ("useradd", "usermod", "userdel", "chpasswd", "systemctl", "bsdtar", "mount")
FLATHUB_APPS = (
    App("com.visualstudio.code", "1.95.3"),
    App("org.libreoffice.LibreOffice", "24.8.3"),
)
ARCH_MIRROR = "https://geo.mirror.pkgbuild.com"  # the examples'
FLATHUB_REPO = re.compile(r'repos\.flatpak_repo\("flathub"[^)]*\)')  # the examples' Flathub
ESP = "efi"  # a separate ESP inside the root: entries' EFI programs are copied from /boot


@dataclass(frozen=True)
class World:
    mirror: Mirror
    sync_dir: Path
    flathub: FlatpakRepo
    examples: Path
    """The examples, their Arch mirror pointed at `mirror` (the repositories step writes it
    into the root's mirror list, and pacman then downloads from there)."""


@pytest.fixture(scope="module")
def world(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> World:
    require_tools(*PACMAN_TOOLS, *ACCOUNT_TOOLS, *FLATPAK_TOOLS)
    require_root()
    base = tmp_path_factory.mktemp("apply")
    (base / "flathub").mkdir()
    flathub = build_flatpak_repo(base / "flathub", FLATHUB_APPS, signed=True)
    return World(
        standard_mirror,
        mirror_sync_dir(standard_mirror, base / "sync"),
        flathub,
        examples_on_mirror(base / "examples", standard_mirror, flathub),
    )


def examples_on_mirror(directory: Path, mirror: Mirror, flathub: FlatpakRepo) -> Path:
    """The examples, their Arch mirror `mirror` and Flathub the signed stand-in `flathub`."""
    shutil.copytree(REPO / "examples", directory)
    for config in directory.glob("*/configuration.lua"):
        text = config.read_text().replace(ARCH_MIRROR, f"file://{mirror.path.resolve()}")
        text = FLATHUB_REPO.sub(lambda _: flathub.lua("flathub"), text)
        config.write_text(text)
    return directory


def plan(world: World, name: str, root: Path) -> PlanResult:
    config = str(world.examples / name)
    return make_plan(PlanOptions(config=config, root=root, sync_dir=world.sync_dir))


def changes_of(result: PlanResult) -> dict[str, str]:
    return {c.address: c.action.value for c in result.plan.changes}


@dataclass(frozen=True)
class Applied:
    """An example's root after `execute`: the plan applied, the steps heard, the notes."""

    name: str
    root: TargetRoot
    first: Plan
    steps: list[str]
    notes: list[str]


@pytest.fixture(scope="module")
def applied(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Applied]:
    return {name: apply_example(world, name, tmp_path_factory.mktemp(name)) for name in EXAMPLES}


def apply_example(world: World, name: str, directory: Path) -> Applied:
    """A fresh root (AUR builds installed), planned and executed: kodos adds Flathub."""
    root = applicable_root(directory, world.mirror)
    install_built(root, directory / "aur", aur_builds())
    (root.path / ESP).mkdir()
    first = plan(world, name, root.path)
    steps: list[str] = []
    notes = execute(
        first.plan.changes, first.desired, root.path, esp=root.path / ESP, on_step=steps.append
    )
    write_record(root.path, first, first.desired)
    return Applied(name, root, first.plan, steps, notes)


def write_record(root: Path, result: PlanResult, managed: Iterable[str]) -> None:
    """The record apply writes: the configuration's resources are now kodos's."""
    record = GenerationRecord(
        id=1,
        created=datetime(2024, 12, 1, 12, 0, tzinfo=UTC),
        status=Status.READY,
        config_digest=result.plan.config.digest,
        managed=sorted(managed),
    )
    path = root / RECORD_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record.model_dump(mode="json"))


def copy_applied(example: Applied, directory: Path) -> Path:
    root = directory / "root"
    shutil.copytree(example.root.path, root, symlinks=True)
    return root


def pacman_on(root: Path) -> TargetRoot:
    """pacman on an applied root with its own configuration, rendered as kodos renders it: its
    pacman.conf now includes /etc/pacman.d/mirrorlist, which must be read inside the root."""
    conf = root.parent / "pacman-rendered.conf"
    conf.write_text(rendered(root))
    return TargetRoot(root, conf)


def shadow_field(root: Path, user: str) -> str:
    for line in (root / "etc/shadow").read_text().splitlines():
        if line.startswith(f"{user}:"):
            return line.split(":")[1]
    raise AssertionError(f"{user} is not in shadow")


# ---- the examples --------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_after_execute_the_plan_is_empty(
    applied: dict[str, Applied], world: World, name: str
) -> None:
    example = applied[name]

    again = plan(world, name, example.root.path)

    assert example.first.changes, "a fresh root must need changes"
    assert [c.address for c in again.plan.changes] == []


def test_steps_run_in_dependency_order(applied: dict[str, Applied]) -> None:
    assert applied["testvm"].steps == [
        "configure-repositories",
        "install-packages",
        "configure-flatpak-remotes",
        "install-flatpaks",
        "update-users",
        "write-files",
        "enable-units",
        "follow-ups",
        "update-bootloader",
    ]
    assert applied["minimal"].steps == ["install-packages", "update-users", "write-files"]


def test_follow_ups_the_target_cannot_run_are_notes(applied: dict[str, Applied]) -> None:
    # The synthetic catalog has neither glibc's locale-gen nor mkinitcpio.
    assert applied["testvm"].notes == [
        "/etc/locale.gen changed, but the target has no /usr/bin/locale-gen: "
        "/usr/bin/locale-gen was not run",
        "/etc/mkinitcpio.conf.d/kodos.conf, /etc/vconsole.conf changed, but the target has no "
        "/usr/bin/mkinitcpio: /usr/bin/mkinitcpio -P was not run",
    ]
    assert applied["minimal"].notes == []


def test_the_example_machine_is_really_set_up(applied: dict[str, Applied]) -> None:
    root = applied["testvm"].root.path

    assert "demo-user:x:1000:1000:Demo User:/home/demo-user:/bin/zsh" in (
        (root / "etc/passwd").read_text()
    )
    assert shadow_field(root, "demo-user").startswith("$6$yYGlozWudGJ1pYBQ$")
    assert shadow_field(root, "root") == "!"  # no_password: locked, not empty
    assert (root / "home/demo-user").is_dir()
    assert is_enabled(root, "sshd.service") == "enabled"
    assert (root / "etc/hosts").stat().st_mode & 0o777 == 0o644
    assert (root / "etc/localtime").readlink() == Path("/usr/share/zoneinfo/America/Toronto")
    assert (root / ESP / "loader/loader.conf").read_text() == "timeout 5\n"
    assert (root / ESP / "loader/entries/memtest86+.conf").read_text() == (
        "title Memtest86+\nefi /memtest86+/memtest.efi\n"
    )
    assert (root / ESP / "memtest86+/memtest.efi").read_bytes() == (
        (root / "boot/memtest86+/memtest.efi").read_bytes()
    )
    assert "com.visualstudio.code" in flatpak(root, "list", "--app", "--columns=application")
    explicit = pacman_on(root).query("-Qeq")
    assert {"htop", "linux-lts", "memtest86+-efi", "gnome-shell"} <= set(explicit)


def test_the_desktops_mount_unit_is_really_set_up(applied: dict[str, Applied]) -> None:
    # upstream's form: configs.mount{ name = "mnt-nas", ... } as a service of its own
    root = applied["desktop"].root.path
    units = root / "etc/systemd/system"

    assert "Where=/mnt/nas\nType=cifs\n" in (units / "mnt-nas.mount").read_text()
    assert "TimeoutIdleSec=600\n" in (units / "mnt-nas.automount").read_text()
    assert is_enabled(root, "mnt-nas.automount") == "enabled"


# ---- updates -------------------------------------------------------------------------------


def test_updates_put_drift_back(applied: dict[str, Applied], world: World, tmp_path: Path) -> None:
    root = copy_applied(applied["testvm"], tmp_path)
    _drift(root)

    result = plan(world, "testvm", root)
    assert changes_of(result) == {
        "pacman.package[htop]": "update",
        "users.user[demo-user]": "update",
        "users.user[root]": "update",
        "files.file[/etc/hostname]": "update",
        "files.file[/etc/hosts]": "update",
        "files.symlink[/etc/localtime]": "update",
        "services.unit[cups.service]": "update",
        "services.unit[sshd.service]": "update",
        "bootloader.entry[memtest86+]": "update",
        "bootloader.loader[systemd-boot]": "update",
    }
    execute(result.plan.changes, result.desired, root, esp=root / ESP)

    assert plan(world, "testvm", root).plan.changes == []
    assert shadow_field(root, "root") == "!"
    # The configured key is set where it was (its second line goes: the last one would
    # count); the transaction's default and the comment stay.
    assert (root / ESP / "loader/loader.conf").read_text() == (
        "# hand-written\ntimeout 5\ndefault kodos-1.conf\n"
    )


def _drift(root: Path) -> None:
    """Change by hand what the testvm configuration manages."""
    pacman_on(root).pacman("-D", "--asdeps", "htop")
    _run(root, "usermod", "--shell", "/bin/sh", "--comment", "Someone", "-G", "wheel", "demo-user")
    _run(root, "chpasswd", "--encrypted", stdin="root:$6$salt$notlocked\n")
    (root / "etc/hostname").write_text("renamed\n")
    (root / "etc/hosts").chmod(0o600)
    (root / "etc/localtime").unlink()
    (root / "etc/localtime").symlink_to("/usr/share/zoneinfo/UTC")
    assert systemctl(root, "disable", "sshd.service").returncode == 0
    assert systemctl(root, "mask", "cups.service").returncode == 0
    loader = root / ESP / "loader/loader.conf"
    loader.write_text("# hand-written\ntimeout 10\ndefault kodos-1.conf\ntimeout 12\n")
    entry = root / ESP / "loader/entries/memtest86+.conf"
    entry.write_text("title Old title\nefi /memtest86+/memtest.efi\n")


def _run(root: Path, program: str, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [program, "--root", str(root), *args], input=stdin, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_plain_text_password_is_hashed_when_applied(
    applied: dict[str, Applied], world: World, tmp_path: Path
) -> None:
    """Configurations may hold a plain-text password: execute hashes it (yescrypt)."""
    root = copy_applied(applied["minimal"], tmp_path)
    result = plan(world, "minimal", root)
    desired = ResourceSet(
        replace(r, attributes={**r.attributes, "password": PlainPassword("correct horse")})
        if r.address == "users.user[sam]"
        else r
        for r in result.desired.values()
    )
    actual = read_machine(root, frozenset(desired)).resources
    changes = diff(desired, actual, frozenset())
    assert [(c.address, c.changed) for c in changes] == [("users.user[sam]", ["password"])]

    notes = execute(changes, desired, root, esp=None)

    field = shadow_field(root, "sam")
    assert field.startswith("$y$") and PlainPassword("correct horse").matches(field)
    assert "correct horse" not in " ".join(notes)
    assert diff(desired, read_machine(root, frozenset(desired)).resources, frozenset()) == []


# ---- deletes -------------------------------------------------------------------------------

EXTRA_MANAGED = (
    "pacman.package[dnsmasq]",
    "pacman.package[neofetch]",
    "pacman.package[python]",
    "aur.package[yay]",
    "flatpak.app[org.libreoffice.LibreOffice]",
    "users.user[bob]",
    "files.file[/etc/motd]",
    "files.file[/etc/ssh/sshd_config]",
    "files.symlink[/etc/kodos-link]",
    "services.unit[dnsmasq.service]",
    "services.user_unit[pipewire.socket]",
    "bootloader.entry[old]",
)


def test_deletes_undo_what_is_no_longer_configured(
    applied: dict[str, Applied], world: World, tmp_path: Path
) -> None:
    example = applied["testvm"]
    root = copy_applied(example, tmp_path)
    _things_kodos_managed_before(root, world)
    first = plan(world, "testvm", root)
    write_record(root, first, [*first.desired, *EXTRA_MANAGED])

    result = plan(world, "testvm", root)
    # gdb needs python: the plan keeps it as a dependency instead of deleting it (issue 9.8).
    kept = {"pacman.package[python]": "update"}
    assert changes_of(result) == {**{address: "delete" for address in EXTRA_MANAGED}, **kept}
    steps: list[str] = []
    notes = execute(result.plan.changes, result.desired, root, esp=None, on_step=steps.append)
    write_record(root, result, result.desired)

    assert plan(world, "testvm", root).plan.changes == []
    assert steps == [
        "install-packages",
        "disable-units",
        "delete-files",
        "delete-users",
        "uninstall-flatpaks",
        "remove-packages",
        "update-bootloader",
    ]
    installed = {line.split()[0] for line in pacman_on(root).query("-Q")}
    assert not {"dnsmasq", "neofetch", "yay"} & installed
    assert "python" in pacman_on(root).query("-Qdq")  # gdb needs it: kept as a dependency
    assert "bob:" not in (root / "etc/passwd").read_text()
    assert (root / "home/bob").is_dir()  # homes live on @home: never deleted
    assert not (root / "etc/motd").exists() and not (root / "etc/kodos-link").is_symlink()
    assert (root / "etc/ssh/sshd_config").read_text() == "#PermitRootLogin prohibit-password\n"
    assert not (root / ESP / "loader/entries/old.conf").exists()
    assert is_enabled(root, "pipewire.socket", user=True) == "disabled"
    assert "org.libreoffice.LibreOffice" not in flatpak(root, "list", "--columns=application")
    assert notes == [
        "/etc/ssh/sshd_config: no longer managed, restored the version openssh ships",
    ]


def _things_kodos_managed_before(root: Path, world: World) -> None:
    """What an earlier configuration had kodos set up (and this one no longer asks for)."""
    pacman = pacman_on(root)
    pacman.pacman("-S", "--noconfirm", "--noprogressbar", "dnsmasq", "neofetch")
    pacman.pacman("-D", "--asexplicit", "python")
    assert systemctl(root, "enable", "dnsmasq.service").returncode == 0
    assert systemctl(root, "--global", "enable", "pipewire.socket").returncode == 0
    _run(root, "useradd", "--create-home", "--home-dir", "/home/bob", "bob")
    flatpak(root, "install", "-y", "--noninteractive", "flathub", "org.libreoffice.LibreOffice")
    (root / "etc/motd").write_text("managed by kodos\n")
    (root / "etc/ssh/sshd_config").write_text("PermitRootLogin no\n")
    (root / "etc/kodos-link").symlink_to("/etc/hostname")
    (root / ESP / "loader/entries/old.conf").write_text("title Old\nefi /old.efi\n")


def test_an_app_from_another_remote_is_reinstalled(
    applied: dict[str, Applied], world: World, tmp_path: Path
) -> None:
    root = copy_applied(applied["testvm"], tmp_path)
    add_flatpak_remote(root, "mirror-of-flathub", world.flathub)
    replace_remote = change(
        "flatpak", "app", "com.visualstudio.code", Action.REPLACE,
        before={"remote": "flathub"}, after={"remote": "mirror-of-flathub"}, changed=["remote"],
    )  # fmt: skip

    execute([replace_remote], {}, root, esp=None)

    assert listed_apps(root)["com.visualstudio.code"] == ("mirror-of-flathub", "1.95.3")
