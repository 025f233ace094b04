"""What `kodos validate` checks without a machine: values `plan` would refuse, found by the
model (every line break, not one example), time zones against tzdata, keymaps and locales
against the host's lists (a note where the host has none). The CLI's exact lines for most of
these are pinned by the bad-config corpus (tests/bad_configs/)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kodos.config.errors import problems_from
from kodos.config.fields import ValidationError
from kodos.config.hostlists import KEYMAP_DIRS, check_against_host
from kodos.config.model import Config
from kodos.config.types import LINE_BREAKS
from tests.support.mirror import Mirror
from tests.support.sync import FakeSyncEntry, fake_sync_repo

REPO = Path(__file__).resolve().parents[1]


def problems(data: dict[str, Any]) -> list[str]:
    try:
        Config.model_validate(data)
    except ValidationError as err:
        return [str(p) for p in problems_from(err, Config)]
    return []


# ---- what plan refused, refused by the model -----------------------------------------------


@pytest.mark.parametrize("line_break", list(LINE_BREAKS), ids=[hex(ord(c)) for c in LINE_BREAKS])
def test_every_line_break_is_refused_wherever_a_file_line_is_written(line_break: str) -> None:
    mount = {"type": "nfs", "what": f"nas:/srv{line_break}x", "where": "/mnt/nas"}
    data = {
        "users": {"amy": {"name": f"Amy{line_break}Pond"}},
        "services": {
            "openssh": {"enable": True, "settings": {"Banner": f"hi{line_break}there"}},
            "nas": {"enable": True, "mount": {"type": "mount", "mounts": {"nas": mount}}},
        },
    }
    assert problems(data) == [
        "users.amy.name: a full name must not contain ':' or line breaks",
        "services.openssh.settings.Banner: a value must fit on one line",
        "services.nas.mount.mounts.nas.what: a value must fit on one line",
    ]


def test_values_that_fit_are_accepted() -> None:
    mount = {"type": "nfs", "what": "nas:/srv", "where": "/mnt//nas/", "options": "ro,soft"}
    data = {
        "users": {"amy": {"name": "Amy Pond, Room 4 (ext. 12)"}},
        "services": {
            "openssh": {"enable": True, "settings": {"Banner": "/etc/issue", "Port": 22}},
            "nas": {"enable": True, "mount": {"type": "mount", "mounts": {"nas": mount}}},
        },
    }
    assert problems(data) == []


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", []),
        ("UTC", []),
        ("US/Eastern", []),  # a backward link: Arch installs it too
        ("Etc/GMT+5", []),
        (
            "europe/berlin",
            [
                'locale.timezone: "europe/berlin" is not a time zone zoneinfo knows; did you '
                "mean 'Europe/Berlin'?"
            ],
        ),
        (
            "America/Edmonten",
            [
                'locale.timezone: "America/Edmonten" is not a time zone zoneinfo knows; did you '
                "mean 'America/Edmonton'?"
            ],
        ),
        (
            "Mars/Olympus_Mons",
            [
                'locale.timezone: "Mars/Olympus_Mons" is not a time zone zoneinfo knows (such as '
                "Europe/Berlin or UTC)"
            ],
        ),
        (
            "posix/UTC",
            [
                'locale.timezone: "posix/UTC" is not a time zone zoneinfo knows (such as Europe/Berlin or UTC)'
            ],
        ),
    ],
)
def test_time_zones_are_checked_against_tzdata(zone: str, expected: list[str]) -> None:
    assert problems({"locale": {"timezone": zone}}) == expected


# ---- keymaps and locales, where the host knows them ----------------------------------------


def arch_keymaps(tmp_path: Path) -> Path:
    """Keymaps laid out as Arch's kbd package installs them."""
    root = tmp_path / "kbd/keymaps"
    for relative in ("i386/qwerty/us.map.gz", "i386/qwertz/de-latin1.map.gz", "mac/all/mac-us.map"):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(b"keymaps 0-2\n"))
    (root / "include").mkdir()
    (root / "include/qwerty-layout.inc").write_text("")
    return root


SUPPORTED = "en_US.UTF-8 UTF-8\nen_CA.UTF-8 UTF-8\nen_CA ISO-8859-1\nde_DE.UTF-8 UTF-8\n"


def host(tmp_path: Path, data: dict[str, Any], keymaps: bool = True, supported: bool = True):  # type: ignore[no-untyped-def]
    tmp_path.mkdir(parents=True, exist_ok=True)
    listing = tmp_path / "SUPPORTED"
    if supported:
        listing.write_text(SUPPORTED)
    directories = (arch_keymaps(tmp_path),) if keymaps else (tmp_path / "none",)
    checks = check_against_host(Config.model_validate(data), directories, listing)
    return [str(p) for p in checks.problems], [str(n) for n in checks.notes]


def test_keymaps_are_checked_where_the_host_has_them(tmp_path: Path) -> None:
    assert host(tmp_path / "a", {"locale": {"keymap": "de-latin1"}}) == ([], [])
    assert host(tmp_path / "b", {"locale": {"keymap": "mac-us"}}) == ([], [])
    assert host(tmp_path / "c", {"locale": {"keymap": "de-latin"}}) == (
        ["locale.keymap: \"de-latin\" is not a keymap this host knows; did you mean 'de-latin1'?"],
        [],
    )
    assert host(tmp_path / "d", {"locale": {"keymap": "qwerty-layout"}}) == (
        ['locale.keymap: "qwerty-layout" is not a keymap this host knows'],
        [],
    )
    assert host(tmp_path / "e", {"locale": {"keymap": "us"}}, keymaps=False) == (
        [],
        [f"locale.keymap: not checked: this host has no keymaps ({tmp_path / 'e/none'})"],
    )


def test_locales_are_checked_where_the_host_has_glibcs_list(tmp_path: Path) -> None:
    good = {
        "locale": {
            "locale": {
                "default": "en_CA.UTF-8 UTF-8",
                "extra_generate": ["en_CA ISO-8859-1"],
                "extra_settings": {
                    "LC_TIME": "en_US.utf8",
                    "LC_COLLATE": "C.UTF-8",
                    "LANGUAGE": "en",
                },
            }
        }
    }
    assert host(tmp_path / "a", good) == ([], [])
    bad = {
        "locale": {
            "locale": {
                "default": "en_CA.UTF-8 ISO-8859-1",
                "extra_generate": ["de_DE.UTF-8 UTF-8", "xx_YY.UTF-8 UTF-8"],
                "extra_settings": {"LC_TIME": "en_GB.UTF-8"},
            }
        }
    }
    listing = tmp_path / "b/SUPPORTED"
    assert host(tmp_path / "b", bad) == (
        [
            f'locale.locale.default: "en_CA.UTF-8 ISO-8859-1" is not a locale this host\'s glibc '
            f"lists in {listing}; did you mean 'en_CA.UTF-8 UTF-8'?",
            f'locale.locale.extra_generate[2]: "xx_YY.UTF-8 UTF-8" is not a locale this host\'s '
            f"glibc lists in {listing}",
            f'locale.locale.extra_settings.LC_TIME: "en_GB.UTF-8" is not a locale this host\'s '
            f"glibc lists in {listing}",
        ],
        [],
    )
    assert host(tmp_path / "c", bad, supported=False) == (
        [],
        [f"locale.locale: not checked: this host has no {tmp_path / 'c/SUPPORTED'}"],
    )


def test_validate_says_what_it_could_not_check(tmp_path: Path) -> None:
    (tmp_path / "configuration.lua").write_text('return { locale = { keymap = "uss" } }')
    done = subprocess.run(
        [sys.executable, "-m", "kodos", "validate", "-c", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if any(directory.is_dir() for directory in KEYMAP_DIRS):
        assert done.returncode == 1
        assert done.stderr.startswith('error: locale.keymap: "uss" is not a keymap this host knows')
    else:
        assert done.returncode == 0
        assert done.stderr == (
            "note: locale.keymap: not checked: this host has no keymaps "
            "(/usr/share/kbd/keymaps or /usr/share/keymaps)\n"
        )


# ---- package names, with sync databases and no machine --------------------------------------


def validate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodos", "validate", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def sync_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "sync"
    fake_sync_repo(
        directory,
        "core",
        [
            FakeSyncEntry("htop", "3.3.0-1"),
            FakeSyncEntry("gcc", "14.1.1-1", groups=("base-devel",)),
            FakeSyncEntry("linux", "6.9.1.arch1-1"),
        ],
    )
    fake_sync_repo(
        directory,
        "extra",
        [
            FakeSyncEntry("gnome-shell", "46.2-1", groups=("gnome",)),
            FakeSyncEntry("epiphany", "46.0-1", groups=("gnome",)),
            FakeSyncEntry("pipewire-jack", "1.2.0-1", provides=("jack",)),
            FakeSyncEntry("gdm", "46.2-1"),
        ],
    )
    return directory


def test_validate_with_a_sync_dir_checks_package_names(tmp_path: Path) -> None:
    config = tmp_path / "configuration.lua"
    config.write_text(
        'return { packages = { "htop", "htpo", "base-devel", "jack" }, desktop = {'
        ' desktop_manager = { gnome = { enable = true, exclude_packages = { "gnome-shel" } } } } }'
    )
    directory = sync_dir(tmp_path)

    assert validate("-c", config).returncode == 0  # names of a valid shape, not looked up
    done = validate("-c", config, "--sync-dir", directory)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        'error: desktop.desktop_manager.gnome.exclude_packages[1]: "gnome-shel" is not in the '
        'gnome group; did you mean "gnome-shell"?',
        'error: packages[2]: no package or group named "htpo" in the repositories (core, extra); '
        'did you mean "htop"?',
        f"{config}: 2 problems found",
    ]
    config.write_text('return { packages = { "htop", "base-devel", "jack" } }')
    good = validate("-c", config, "--sync-dir", directory)
    assert good.returncode == 0, good.stderr
    assert good.stdout.endswith("every package name found in the sync databases (3)\n")


def test_validate_sync_options_that_cannot_work(tmp_path: Path) -> None:
    config = tmp_path / "configuration.lua"
    config.write_text('return { packages = { "htop" } }')
    refusals = {
        ("--sync-dir", tmp_path): f"error: --sync-dir {tmp_path}: no core.db, extra.db in that "
        "directory\n",
        ("--refresh",): "error: --refresh needs an Arch mirror: add one to repos with "
        "repos.arch_repo(...)\n",
        ("--refresh", "--sync-dir", tmp_path): "error: --sync-dir and --refresh exclude each "
        "other: --sync-dir names databases to read as they are\n",
    }
    for options, message in refusals.items():
        done = validate("-c", config, *options)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", message)


@pytest.mark.system
def test_validate_refresh_downloads_the_mirrors_databases(
    standard_mirror: Mirror, tmp_path: Path
) -> None:
    from kodos.config.load import load_config
    from kodos.plan.offline import SyncOptions, check_offline

    config = tmp_path / "configuration.lua"
    mirror = standard_mirror.path.resolve().as_uri()
    config.write_text(
        'local repos = require("repos")\n'
        f'return {{ repos = {{ arch = repos.arch_repo("{mirror}") }}, packages = {{ "htop", "htpo" }} }}'
    )
    sync = SyncOptions(refresh=True, cache_dir=tmp_path / "cache")
    check = check_offline(load_config(str(config)), sync)
    assert [str(p) for p in check.problems] == [
        'packages[2]: no package or group named "htpo" in the repositories (core, extra); did '
        'you mean "htop"?'
    ]
