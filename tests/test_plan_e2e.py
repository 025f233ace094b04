"""`kodos plan` end to end: each example against a fresh root, the root then brought in line by
hand with the real tools (pacman, systemctl, useradd/usermod/chpasswd, flatpak, plain file
writes) driven only by the plan's JSON changes, and the next plan must be empty. That proves the
plan says exactly what apply must do — no more, no less.

Then what happens around a machine kodos manages: drift (a managed package removed by hand comes
back), ownership (only what the generation record lists is ever deleted), planning from a facts
file (the same changes as planning the machine itself) and secrets (no password hash in facts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kodos.apply.transaction import new_record
from kodos.config.load import load_config
from kodos.desired import build_desired
from kodos.plan.build import PlanOptions, make_plan
from kodos.state.generation import RECORD_PATH, GenerationRecord
from kodos.system.jsonfile import write_json
from tests.support.catalog import aur_builds
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.flatpak import FLATPAK_TOOLS, App, FlatpakRepo, build_flatpak_repo, flatpak
from tests.support.mirror import Mirror, package_bytes, write_pacman_conf
from tests.support.sync import mirror_sync_dir
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_root, require_tools
from tests.support.units import systemctl

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = ("testvm", "desktop", "minimal")
ACCOUNT_TOOLS = ("useradd", "usermod", "userdel", "chpasswd", "systemctl")
NO_CHANGES = "No changes. The system matches the configuration.\n"
# The examples' Flatpak apps, served from a local repository under the remote name flathub.
FLATHUB_APPS = (
    App("com.visualstudio.code", "1.95.3"),
    App("org.libreoffice.LibreOffice", "24.8.3"),
)
ESP = "boot"  # systemd-boot's ESP mounted at /boot (lua-lib/expansions/boot/memtest86+.lua)


# ---- running kodos -------------------------------------------------------------------------


def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real CLI, from the repository (configurations are named relative to it)."""
    argv = [sys.executable, "-m", "kodos", *map(str, args)]
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, env=env)


def plan_json(config: str, root: Path, sync_dir: Path) -> dict[str, Any]:
    done = kodos("plan", "-c", config, "--root", root, "--sync-dir", sync_dir, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def plan_text(config: str, root: Path, sync_dir: Path) -> subprocess.CompletedProcess[str]:
    return kodos(
        "plan", "-c", config, "--root", root, "--sync-dir", sync_dir, "--detailed-exitcode"
    )


def actions(plan: Mapping[str, Any]) -> dict[str, str]:
    return {change["address"]: change["action"] for change in plan["changes"]}


# ---- fixtures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """What every root of this module shares: the mirror's databases and the Flathub stand-in."""

    mirror: Mirror
    sync_dir: Path
    flathub: FlatpakRepo
    aur: Path  # directory of the AUR builds, as an AUR helper leaves them


@pytest.fixture(scope="module")
def world(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> World:
    require_tools(*PACMAN_TOOLS, *ACCOUNT_TOOLS, *FLATPAK_TOOLS)
    require_root()
    base = tmp_path_factory.mktemp("e2e")
    aur, flathub = base / "aur", base / "flathub"
    aur.mkdir()
    flathub.mkdir()
    for pkg in aur_builds():
        (aur / pkg.filename).write_bytes(package_bytes(pkg))
    return World(
        standard_mirror,
        mirror_sync_dir(standard_mirror, base / "sync"),
        build_flatpak_repo(flathub, FLATHUB_APPS, signed=True),
        aur,
    )


def fresh_root(world: World, directory: Path) -> TargetRoot:
    """A freshly installed Arch root, as `kodos install` leaves it before the first apply."""
    conf = write_pacman_conf(directory / "pacman.conf", world.mirror)
    root = TargetRoot(make_root(directory / "root"), conf)
    root.install("base")
    return root


@dataclass(frozen=True)
class Example:
    """One example's root, planned fresh (`first`, and `first_from_facts` from its facts), then
    brought in line by hand and given the generation record apply would write; `facts` is what
    `kodos facts` prints for it then."""

    name: str
    root: TargetRoot
    first: dict[str, Any]
    first_from_facts: dict[str, Any]
    facts: str

    @property
    def config(self) -> str:
        return f"examples/{self.name}"


@pytest.fixture(scope="module")
def examples(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Example]:
    directories = [tmp_path_factory.mktemp(f"e2e-{name}") for name in EXAMPLES]
    # Each example mostly waits on its own processes (pacman, kodos): run them side by side.
    with ThreadPoolExecutor(len(EXAMPLES)) as pool:
        made = list(pool.map(lambda n, d: bring_in_line(world, n, d), EXAMPLES, directories))
    return {example.name: example for example in made}


def bring_in_line(world: World, name: str, directory: Path) -> Example:
    root = fresh_root(world, directory)
    config = f"examples/{name}"
    first = plan_json(config, root.path, world.sync_dir)
    from_facts = plan_from_facts(config, root.path, world.sync_dir, directory / "facts.json")
    apply_by_hand(root, config, first, world)
    write_record(root.path, config, world.sync_dir)
    facts = kodos("facts", "--root", root.path, "-c", config)
    assert facts.returncode == 0, facts.stderr
    return Example(name, root, first, from_facts, facts.stdout)


def plan_from_facts(config: str, root: Path, sync_dir: Path, facts: Path) -> dict[str, Any]:
    done = kodos("facts", "--root", root, "-c", config, "--out", facts)
    assert done.returncode == 0, done.stderr
    done = kodos("plan", "-c", config, "--facts", facts, "--sync-dir", sync_dir, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def copy_root(example: Example, directory: Path) -> TargetRoot:
    """A private copy of an example's in-line root, to change without disturbing others."""
    shutil.copytree(example.root.path, directory / "root", symlinks=True)
    conf = shutil.copy(example.root.conf, directory / "pacman.conf")
    return TargetRoot(directory / "root", Path(conf))


# ---- bringing a root in line by hand, from the plan's changes -----------------------------


def apply_by_hand(root: TargetRoot, config: str, plan: Mapping[str, Any], world: World) -> None:
    """Do what the plan says with the real tools, provider by provider in plan order. Only the
    plan's changes are read — except password values, which a plan never holds: like the
    applier, this takes them from the desired state."""
    changes = plan["changes"]
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for change in changes:
        by_kind.setdefault((change["provider"], change["kind"]), []).append(change)
    _repositories(
        root.path,
        by_kind.pop(("pacman", "mirrorlist"), []),
        by_kind.pop(("pacman", "repository"), []),
    )
    _packages(root, by_kind.pop(("pacman", "package"), []))
    _aur_packages(root, by_kind.pop(("aur", "package"), []), world.aur)
    _flatpak_remotes(root.path, by_kind.pop(("flatpak", "remote"), []), world.flathub)
    _flatpak_apps(root.path, by_kind.pop(("flatpak", "app"), []))
    _users(root.path, by_kind.pop(("users", "user"), []), _passwords(config))
    _files(root.path, by_kind.pop(("files", "file"), []) + by_kind.pop(("files", "symlink"), []))
    _units(root.path, by_kind.pop(("services", "unit"), []))
    _boot(
        root.path,
        by_kind.pop(("bootloader", "loader"), []),
        by_kind.pop(("bootloader", "entry"), []),
    )
    assert not by_kind, f"changes this test cannot apply: {sorted(by_kind)}"


def _repositories(
    root: Path, mirrorlists: list[dict[str, Any]], sections: list[dict[str, Any]]
) -> None:
    """The mirror list as pacman reads one, and pacman.conf's sections appended (the root's
    own pacman.conf; pacman here runs with the conf beside the root)."""
    for change in mirrorlists:
        assert change["action"] == "create", change
        path = root / change["name"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"Server = {server}\n" for server in change["after"]["servers"]))
    conf = root / "etc/pacman.conf"
    text = conf.read_text() if conf.exists() else "[options]\n"
    for change in sections:
        assert change["action"] == "create", change
        text += f"\n[{change['name']}]\nInclude = {change['after']['include']}\n"
    conf.write_text(text)


def _names(changes: Iterable[Mapping[str, Any]], action: str) -> list[str]:
    return [c["name"] for c in changes if c["action"] == action]


def _packages(root: TargetRoot, changes: list[dict[str, Any]]) -> None:
    """As the applier does: only the declared packages are named to pacman (what they pull in
    or take along, `dependency_of`, pacman resolves itself), and marked explicit after `-S`."""
    named = [c for c in changes if "dependency_of" not in c]
    if installs := _names(named, "create"):
        root.pacman("-S", "--noconfirm", "--noprogressbar", *installs)
        root.pacman("-D", "--asexplicit", *installs)
    for change in changes:
        if change["action"] == "update":
            assert change["changed"] == ["reason"], change
            root.pacman("-D", f"--as{change['after']['reason']}", change["name"])
    if removals := _names(named, "delete"):
        root.pacman("-R", "-s", "--noconfirm", *removals)


def _aur_packages(root: TargetRoot, changes: list[dict[str, Any]], built: Path) -> None:
    files = {path.name.rsplit("-", 3)[0]: path for path in built.iterdir()}
    if installs := _names(changes, "create"):
        root.pacman("-U", "--noconfirm", "--asexplicit", *(str(files[n]) for n in installs))
    if removals := _names(changes, "delete"):
        root.pacman("-R", "--noconfirm", *removals)


def _flatpak_remotes(root: Path, changes: list[dict[str, Any]], repo: FlatpakRepo) -> None:
    """Each remote added from `repo`'s .flatpakrepo file, standing in for the one the plan
    names (Flathub's, signed: verified as the plan asks), and marked as kodos marks the
    remotes it adds, from the file the plan names (providers/flatpak.py)."""
    for change in changes:
        assert change["action"] == "create", change
        assert change["after"]["gpg_verify"] is True, change
        name = change["name"]
        flatpak(root, "remote-add", "--from", name, repo.flatpakrepo_url)
        ostree_repo = f"--repo={root / 'var/lib/flatpak/repo'}"
        for key, value in (
            ("kodos-added-by", "kodos"),
            ("kodos-flatpakrepo", change["after"]["url"]),
            ("kodos-flatpakrepo-url", repo.url),
        ):
            subprocess.run(
                ["ostree", "config", ostree_repo, "set", f'remote "{name}".{key}', value],
                check=True,
            )


def _flatpak_apps(root: Path, changes: list[dict[str, Any]]) -> None:
    for change in changes:
        assert change["action"] == "create", change
        remote = change["after"]["remote"]
        flatpak(root, "install", "-y", "--noninteractive", remote, change["name"])


def _passwords(config: str) -> dict[str, str]:
    """Each user's desired password value (a crypt hash, or "!" for a locked account)."""
    loaded = load_config(str(REPO / config))
    desired = build_desired(loaded.config, loaded.file.parent)
    return {
        r.name: str(r.attributes["password"])
        for r in desired.resources.of_provider("users")
        if "password" in r.attributes
    }


def _users(root: Path, changes: list[dict[str, Any]], passwords: Mapping[str, str]) -> None:
    for change in changes:
        name, after = change["name"], change["after"]
        if change["action"] == "delete":
            run("userdel", "--root", root, name)
            continue
        wanted = after if change["action"] == "create" else {k: after[k] for k in change["changed"]}
        flags = _account_flags(wanted)
        if change["action"] == "create":
            home = ["--create-home", "--home-dir", after["home"]] if "home" in after else []
            run("useradd", "--root", root, *home, *flags, name)
        elif flags:
            run("usermod", "--root", root, *flags, name)
        if "password" in wanted:
            run("chpasswd", "--root", root, "--encrypted", stdin=f"{name}:{passwords[name]}\n")


def _account_flags(attributes: Mapping[str, Any]) -> list[str]:
    flags = []
    if "gecos" in attributes:
        flags += ["--comment", attributes["gecos"]]
    if "shell" in attributes:
        flags += ["--shell", attributes["shell"]]
    if "groups" in attributes:
        flags += ["--groups", ",".join(attributes["groups"])]
    return flags


def _files(root: Path, changes: list[dict[str, Any]]) -> None:
    for change in changes:
        path = root / change["name"].lstrip("/")
        if change["action"] in ("delete", "replace") or path.is_symlink():
            path.unlink(missing_ok=True)
        if change["action"] == "delete":
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        after = change["after"]
        if change["kind"] == "symlink":
            path.symlink_to(after["target"])
        else:
            path.write_text(after["content"])
            path.chmod(int(after["mode"], 8))


def _units(root: Path, changes: list[dict[str, Any]]) -> None:
    for change in changes:
        verb = "disable" if change["action"] == "delete" else "enable"
        if change["action"] != "delete":
            assert change["after"]["state"] == "enabled", change
        done = systemctl(root, verb, change["name"])
        assert done.returncode == 0, done.stderr


def _boot(root: Path, loader: list[dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    """systemd-boot's files on the ESP: loader.conf's keys, one `NAME.conf` per entry."""
    directory = root / ESP / "loader"
    (directory / "entries").mkdir(parents=True, exist_ok=True)
    for change in loader:
        lines = [f"{key} {value}" for key, value in change["after"].items()]
        (directory / "loader.conf").write_text("".join(f"{line}\n" for line in lines))
    for change in entries:
        entry = directory / "entries" / f"{change['name']}.conf"
        if change["action"] == "delete":
            entry.unlink()
            continue
        after = change["after"]
        entry.write_text("".join(f"{key} {after[key]}\n" for key in ("title", "efi")))


def run(*argv: str | Path, stdin: str | None = None) -> None:
    done = subprocess.run(
        [str(arg) for arg in argv], input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, argv))}: {done.stderr}"


# ---- generation records --------------------------------------------------------------------


def write_record(root: Path, config: str, sync_dir: Path) -> None:
    """The record apply would write for the root as it is now: every configured resource
    managed, the desired state with secrets sealed."""
    result = make_plan(PlanOptions(str(REPO / config), root, sync_dir=sync_dir))
    record = new_record(1, None, result, result, None)
    record = record.model_copy(update={"created": datetime(2024, 12, 1, 12, 0, tzinfo=UTC)})
    path = root / RECORD_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record.model_dump(mode="json"))


def add_managed(root: Path, *addresses: str) -> None:
    path = root / RECORD_PATH
    record = GenerationRecord.model_validate_json(path.read_text())
    managed = sorted({*record.managed, *addresses})
    write_json(path, record.model_copy(update={"managed": managed}).model_dump(mode="json"))


# ---- the examples, planned and applied -----------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_fresh_plan_is_all_additions(examples: dict[str, Example], name: str) -> None:
    first = examples[name].first

    assert first["changes"] and first["summary"]["destroy"] == 0
    assert {c["action"] for c in first["changes"]} <= {"create", "update"}
    # The only thing a fresh Arch root already has is root's account.
    assert [c["address"] for c in first["changes"] if c["action"] == "update"] in (
        [],
        ["users.user[root]"],
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_after_doing_what_the_plan_says_nothing_is_left(
    examples: dict[str, Example], world: World, name: str
) -> None:
    example = examples[name]

    done = plan_text(example.config, example.root.path, world.sync_dir)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith(NO_CHANGES), done.stdout
    assert done.stderr == ""
    assert plan_json(example.config, example.root.path, world.sync_dir)["changes"] == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_plan_from_facts_has_the_live_plans_changes(
    examples: dict[str, Example], name: str
) -> None:
    live, from_facts = examples[name].first, examples[name].first_from_facts

    assert from_facts["changes"] == live["changes"]
    assert from_facts["summary"] == live["summary"]
    assert from_facts["base"]["state_digest"] == live["base"]["state_digest"]
    assert from_facts["base"]["root"].startswith("facts:")
    assert from_facts["notes"][-1].startswith("planned from the facts in ")


@pytest.mark.parametrize("name", EXAMPLES)
def test_facts_never_hold_a_password_hash(examples: dict[str, Example], name: str) -> None:
    example = examples[name]
    hashes = [h for h in _passwords(example.config).values() if h.startswith("$")]
    shadow = (example.root.path / "etc/shadow").read_text()

    assert hashes and all(h in shadow for h in hashes)  # on the machine, so facts saw them
    assert all(h not in example.facts for h in hashes)
    users = [r for r in json.loads(example.facts)["resources"] if r["address"].startswith("users.")]
    assert all(r["attributes"]["password"].keys() == {"sealed"} for r in users)


def test_drift_a_managed_package_removed_by_hand_comes_back(
    examples: dict[str, Example], world: World, tmp_path: Path
) -> None:
    example = examples["minimal"]
    root = copy_root(example, tmp_path)
    root.pacman("-R", "--noconfirm", "htop")

    plan = plan_json(example.config, root.path, world.sync_dir)

    assert [(c["address"], c["action"], c["reason"]) for c in plan["changes"]] == [
        ("pacman.package[htop]", "create", "removed_outside_kodos")
    ]
    done = plan_text(example.config, root.path, world.sync_dir)
    assert done.returncode == 2
    assert (
        "  + pacman.package[htop]  (removed outside kodos; from packages[3])  "
        'reason="explicit" version="3.3.0-3"\n' in done.stdout
    )


def test_drift_a_managed_file_changed_by_hand_is_put_back(
    examples: dict[str, Example], world: World, tmp_path: Path
) -> None:
    example = examples["minimal"]
    root = copy_root(example, tmp_path)
    (root.path / "etc/hostname").write_text("renamed\n")

    plan = plan_json(example.config, root.path, world.sync_dir)

    assert [(c["address"], c["action"], c["changed"], c["reason"]) for c in plan["changes"]] == [
        ("files.file[/etc/hostname]", "update", ["content"], "changed_outside_kodos")
    ]
    apply_by_hand(root, example.config, plan, world)
    assert (root.path / "etc/hostname").read_text() == "arch-box\n"


def test_only_managed_packages_are_ever_deleted(
    examples: dict[str, Example], world: World, tmp_path: Path
) -> None:
    example = examples["minimal"]
    root = copy_root(example, tmp_path)
    root.pacman("-S", "--noconfirm", "tmux", "neofetch")  # by hand, outside kodos
    add_managed(root.path, "pacman.package[neofetch]")  # as if an earlier config had it

    plan = plan_json(example.config, root.path, world.sync_dir)

    assert [(c["address"], c["action"], c["reason"]) for c in plan["changes"]] == [
        ("pacman.package[neofetch]", "delete", "no_longer_configured")
    ]
    assert plan["changes"][0]["before"] == {"reason": "explicit", "version": "7.1.0-2"}
    apply_by_hand(root, example.config, plan, world)
    assert plan_json(example.config, root.path, world.sync_dir)["changes"] == []
    installed = {line.split()[0] for line in root.query("-Q")}
    assert "tmux" in installed and "neofetch" not in installed


def test_a_managed_address_already_gone_is_not_deleted_again(
    examples: dict[str, Example], world: World, tmp_path: Path
) -> None:
    example = examples["minimal"]
    root = copy_root(example, tmp_path)
    add_managed(root.path, "pacman.package[uv]", "services.unit[sshd.service]")

    assert plan_json(example.config, root.path, world.sync_dir)["changes"] == []


def test_drift_against_facts_plans_the_same_changes(
    examples: dict[str, Example], world: World, tmp_path: Path
) -> None:
    """Facts of a drifted machine: an update, a create, a delete and a changed user."""
    example = examples["minimal"]
    root = copy_root(example, tmp_path)
    root.pacman("-R", "--noconfirm", "htop")
    root.pacman("-S", "--noconfirm", "neofetch")
    add_managed(root.path, "pacman.package[neofetch]")
    (root.path / "etc/hostname").write_text("renamed\n")
    run("usermod", "--root", root.path, "--shell", "/bin/sh", "--comment", "Samuel", "sam")

    live = plan_json(example.config, root.path, world.sync_dir)
    from_facts = plan_from_facts(example.config, root.path, world.sync_dir, tmp_path / "f.json")

    assert actions(live) == {
        "pacman.package[htop]": "create",
        "pacman.package[neofetch]": "delete",
        "users.user[sam]": "update",
        "files.file[/etc/hostname]": "update",
    }
    assert from_facts["changes"] == live["changes"]
    assert from_facts["base"]["state_digest"] == live["base"]["state_digest"]
    assert from_facts["base"]["generation"] == live["base"]["generation"] == 1


@pytest.mark.parametrize("name", EXAMPLES)
def test_facts_without_a_configuration_plan_what_the_machine_would(
    examples: dict[str, Example], world: World, tmp_path: Path, name: str
) -> None:
    """`kodos facts` with no `-c` still captures the files kodos writes itself (hostname,
    locale, the keymap, the time zone) and what the generation record says kodos manages, so
    drift is an update in the plan from facts as on the machine."""
    example = examples[name]
    root = copy_root(example, tmp_path)
    (root.path / "etc/hostname").write_text("renamed\n")
    (root.path / "etc/locale.conf").write_text("LANG=C\n")

    live = plan_json(example.config, root.path, world.sync_dir)
    from_facts = plan_from_bare_facts(example.config, root.path, world.sync_dir, tmp_path)

    managed = {c["address"] for c in example.first["changes"]}
    drifted = ("files.file[/etc/hostname]", "files.file[/etc/locale.conf]")
    assert actions(live) == {address: "update" for address in drifted if address in managed}
    assert "files.file[/etc/hostname]" in managed
    assert from_facts["changes"] == live["changes"]
    assert [n for n in from_facts["notes"] if n.startswith("unknown:")] == []


def test_what_facts_without_a_configuration_did_not_capture_is_unknown(
    world: World, tmp_path: Path
) -> None:
    """Which installed packages came from the AUR is known only from a configuration: facts of
    a machine kodos does not manage yet, taken without one, cannot say; the plan says so
    instead of planning them as new."""
    root = fresh_root(world, tmp_path)
    config = "examples/testvm"

    live = plan_json(config, root.path, world.sync_dir)
    from_facts = plan_from_bare_facts(config, root.path, world.sync_dir, tmp_path)

    aur = sorted(a for a in actions(live) if a.startswith("aur."))
    assert aur == [
        "aur.package[floorp-bin]",
        "aur.package[gnome-shell-extension-blur-my-shell]",
        "aur.package[ttf-symbola]",
        "aur.package[yay-bin]",  # the configured helper, from the base its url names
    ]
    assert from_facts["changes"] == [c for c in live["changes"] if c["address"] not in aur]
    assert [n for n in from_facts["notes"] if n.startswith("unknown:")] == [
        f"unknown: the facts in {tmp_path / 'facts.json'} did not capture {', '.join(aur)}, so "
        "this plan cannot say what would change there (capture them with kodos facts -c CONFIG)"
    ]


def plan_from_bare_facts(config: str, root: Path, sync_dir: Path, directory: Path) -> Any:
    """The plan of `config` from `kodos facts` of `root` taken without a configuration."""
    facts = directory / "facts.json"
    done = kodos("facts", "--root", root, "--out", facts)
    assert done.returncode == 0, done.stderr
    done = kodos("plan", "-c", config, "--facts", facts, "--sync-dir", sync_dir, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
