"""kodos.plan.resolve against the standard mirror's real sync databases (built by repo-add), with
pacman itself as the judge of what a name means (`-S --print`, `-Sg`)."""

from __future__ import annotations

import difflib
import random
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.config.packages import ConfigPath, PackageRequest, Source, package_requests
from kodos.errors import Problem
from kodos.pacman.filelists import UnitIndex, read_unit_index
from kodos.pacman.localdb import SyncIndex, read_local_packages, read_sync_directory
from kodos.plan.resolve import (
    NO_DATABASES_NOTE,
    NO_FILE_LISTS_NOTE,
    Resolution,
    Suggester,
    check_units,
    dependency_closure,
    resolve,
)
from kodos.resources import parse_address
from tests.support.fixtures import NewRoot
from tests.support.mirror import Mirror
from tests.support.sync import fake_names, mirror_sync_dir
from tests.support.target import TargetRoot

REPOS = ("core", "extra")


@pytest.fixture(scope="session")
def sync_dir(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mirror_sync_dir(standard_mirror, tmp_path_factory.mktemp("sync"))


@pytest.fixture(scope="session")
def index(sync_dir: Path) -> SyncIndex:
    return read_sync_directory(sync_dir, REPOS)


@pytest.fixture(scope="session")
def units(sync_dir: Path) -> UnitIndex:
    return read_unit_index(sync_dir, REPOS)


@pytest.fixture
def synced(new_root: NewRoot) -> TargetRoot:
    """A root with nothing installed but synchronised databases: `-S --print` shows the whole
    transaction, dependencies included."""
    root = new_root(base=False)
    root.pacman("-Sy")
    return root


def req(
    name: str, *path: str | int, source: Source = "pacman", exclude: tuple[str, ...] = ()
) -> PackageRequest:
    at: ConfigPath = path or ("packages", 0)
    return PackageRequest(source, name, at, exclude)


def pacman_names(resolution: Resolution) -> list[str]:
    return [r.name for r in resolution.resources if r.provider == "pacman"]


def sources(resolution: Resolution) -> dict[str, str | None]:
    return {r.address: r.source for r in resolution.resources}


def printed(root: TargetRoot, *targets: str) -> set[str]:
    return set(root.query("-S", "--print", "--print-format", "%n", *targets))


# ---- the seed configuration ----------------------------------------------------------------


@pytest.mark.system
def test_seed_configuration_resolves(index: SyncIndex, corrected_seed: Path) -> None:
    requests = list(package_requests(load_config(str(corrected_seed)).config))
    resolution = resolve(requests, index, flatpak_remote="flathub")

    assert resolution.problems == [] and resolution.notes == []
    by_address = {r.address: r for r in resolution.resources}
    assert "pacman.package[gnome]" not in by_address  # a group is its members
    assert {"pacman.package[gnome-shell]", "pacman.package[yelp]", "pacman.package[gdm]"} <= set(
        by_address
    )
    assert by_address["aur.package[floorp-bin]"].attributes == {"reason": "explicit"}
    assert by_address["flatpak.app[com.visualstudio.code]"].attributes == {"remote": "flathub"}
    assert by_address["pacman.package[htop]"].attributes == {"reason": "explicit"}
    # Asked for twice (a program and packages[1]): one resource, from the first request.
    assert by_address["pacman.package[neovim]"].source == 'users["demo-user"].programs.neovim'
    assert by_address["pacman.package[gdm]"].source == "desktop.display_manager"
    assert by_address["pacman.package[nautilus]"].source == "desktop.desktop_manager.gnome"
    assert len(by_address) == len(resolution.resources)


@pytest.mark.system
def test_seed_packages_are_what_pacman_would_install(
    index: SyncIndex, synced: TargetRoot, corrected_seed: Path
) -> None:
    seed = load_config(str(corrected_seed)).config
    requests = [r for r in package_requests(seed) if r.source == "pacman"]
    names = pacman_names(resolve(requests, index))

    transaction = printed(synced, *(r.name for r in requests))
    assert set(names) <= transaction
    assert dependency_closure(names, index) == transaction  # the rest are dependencies
    assert printed(synced, *names) == transaction


# ---- names that are not packages -----------------------------------------------------------


@pytest.mark.system
def test_misspelt_names_are_located_with_suggestions(index: SyncIndex) -> None:
    requests = [
        req("htop", "packages", 0),
        req("htopp", "packages", 2),
        req("gnom", "desktop", "desktop_manager", "gnome"),
        req("libsigc+", "packages", 3),
        req("networkmanagr", "services", "networkmanager", "package"),
        req("qqqqzzzz", "packages", 4),
    ]
    resolution = resolve(requests, index)

    assert [str(p) for p in resolution.problems] == [
        'packages[3]: no package or group named "htopp" in the repositories (core, extra); did you mean "htop"?',
        'desktop.desktop_manager.gnome: no package or group named "gnom" in the repositories (core, extra); did you mean "gnome"?',
        'packages[4]: no package or group named "libsigc+" in the repositories (core, extra); did you mean "libsigc++"?',
        'services.networkmanager.package: no package or group named "networkmanagr" in the repositories (core, extra); did you mean "networkmanager"?',
        'packages[5]: no package or group named "qqqqzzzz" in the repositories (core, extra)',
    ]
    assert pacman_names(resolution) == ["htop"]  # every problem found, the rest still resolved


@pytest.mark.system
def test_installed_foreign_package_hints_at_aur(index: SyncIndex, new_root: NewRoot) -> None:
    root = new_root()
    installed = read_local_packages(root.path)
    resolution = resolve([req("base"), req("yay")], index, {**installed, "yay": installed["base"]})

    assert resolution.problems == [
        Problem(
            "packages[1]",
            'no package or group named "yay" in the repositories (core, extra)',
            'it is installed but in no repository; if it comes from the AUR, write "aur:yay"',
        )
    ]


# ---- groups and exclusions -----------------------------------------------------------------


@pytest.mark.system
def test_group_with_exclusions_matches_pacman(index: SyncIndex, synced: TargetRoot) -> None:
    path = ("desktop", "desktop_manager", "gnome")
    request = req("gnome", *path, exclude=("gnome-tour", "yelpp", "yelp", "htop"))
    resolution = resolve([request], index)

    members = {line.split(" ")[1] for line in synced.query("-Sg", "gnome")}
    assert set(pacman_names(resolution)) == members - {"gnome-tour", "yelp"}
    assert printed(synced, *pacman_names(resolution)) == printed(synced, "gnome") - {
        "gnome-tour",
        "yelp",
    }
    assert [str(p) for p in resolution.problems] == [
        'desktop.desktop_manager.gnome.exclude_packages[2]: "yelpp" is not in the gnome group; did you mean "yelp"?',
        'desktop.desktop_manager.gnome.exclude_packages[4]: "htop" is not in the gnome group',
    ]
    assert set(sources(resolution).values()) == {"desktop.desktop_manager.gnome"}


@pytest.mark.system
def test_group_members_keep_the_first_source(index: SyncIndex) -> None:
    gdm_first = resolve(
        [
            req("gdm", "desktop", "display_manager"),
            req("gnome", "desktop", "desktop_manager", "gnome"),
        ],
        index,
    )
    group_first = resolve(
        [
            req("gnome", "desktop", "desktop_manager", "gnome"),
            req("gdm", "desktop", "display_manager"),
        ],
        index,
    )

    assert sources(gdm_first)["pacman.package[gdm]"] == "desktop.display_manager"
    assert sources(group_first)["pacman.package[gdm]"] == "desktop.desktop_manager.gnome"
    assert len(gdm_first.resources) == len(group_first.resources) == len(index.group("gnome"))


@pytest.mark.system
def test_excluding_from_a_package_is_a_problem(index: SyncIndex) -> None:
    resolution = resolve(
        [req("htop", "desktop", "desktop_manager", "htop", exclude=("ncurses",))], index
    )

    assert [str(p) for p in resolution.problems] == [
        'desktop.desktop_manager.htop.exclude_packages[1]: "ncurses" cannot be left out: htop is a package, not a group'
    ]
    assert pacman_names(resolution) == ["htop"]


@pytest.mark.system
def test_excluded_member_asked_for_elsewhere_stays(index: SyncIndex) -> None:
    resolution = resolve(
        [
            req("gnome", "desktop", "desktop_manager", "gnome", exclude=("yelp",)),
            req("yelp", "packages", 0),
        ],
        index,
    )

    assert sources(resolution)["pacman.package[yelp]"] == "packages[1]"


# ---- virtual names and awkward names -------------------------------------------------------


@pytest.mark.system
@pytest.mark.parametrize(
    "name, package",
    [("sh", "busybox"), ("pulseaudio", "pipewire-pulse"), ("ttf-font", "ttf-fira-sans")],
)
def test_virtual_names_resolve_to_their_provider(
    index: SyncIndex, synced: TargetRoot, name: str, package: str
) -> None:
    resolution = resolve([req(name, "packages", 2)], index)

    assert pacman_names(resolution) == [package]
    assert package in printed(synced, name)
    assert sources(resolution) == {f"pacman.package[{package}]": f'packages[3] as "{name}"'}
    assert resolution.provided == {name: package}


@pytest.mark.system
def test_an_installed_provider_wins_as_in_pacman(index: SyncIndex, new_root: NewRoot) -> None:
    root = new_root()
    root.install("ttf-liberation")
    resolution = resolve([req("ttf-font")], index, read_local_packages(root.path))

    assert pacman_names(resolution) == ["ttf-liberation"]
    assert printed(root, "ttf-font") == {"ttf-liberation"}


@pytest.mark.system
def test_awkward_names_and_epochs(index: SyncIndex) -> None:
    names = ["libsigc++", "libsigc++-3.0", "memtest86+", "gnome-shell", "cups", "flatpak"]
    resolution = resolve([req(n, "packages", i) for i, n in enumerate(names)], index)

    assert resolution.problems == []
    assert [parse_address(r.address) for r in resolution.resources] == [
        ("pacman", "package", n) for n in names
    ]
    assert {n: index.get(n).version for n in names if index.get(n)} == {  # type: ignore[union-attr]
        "libsigc++": "2.12.1-2",
        "libsigc++-3.0": "3.6.0-2",
        "memtest86+": "7.20-1",
        "gnome-shell": "1:47.2-1",
        "cups": "2:2.4.11-2",
        "flatpak": "1:1.15.10-1",
    }


# ---- AUR and Flatpak -----------------------------------------------------------------------


@pytest.mark.system
def test_aur_and_flatpak_are_taken_as_asked(index: SyncIndex) -> None:
    requests = [
        req("htop", source="aur"),
        req("no-such-thing-anywhere", "packages", 1, source="aur"),
        req("org.example.App", "packages", 2, source="flatpak"),
    ]
    resolution = resolve(requests, index, flatpak_remote="flathub")

    assert resolution.problems == []
    assert [(r.address, r.attributes) for r in resolution.resources] == [
        ("aur.package[htop]", {"reason": "explicit"}),
        ("aur.package[no-such-thing-anywhere]", {"reason": "explicit"}),
        ("flatpak.app[org.example.App]", {"remote": "flathub"}),
    ]
    without_remote = resolve(requests[2:], index)
    assert [str(p) for p in without_remote.problems] == [
        "packages[3]: flatpak:org.example.App needs a Flatpak remote"
    ]
    assert without_remote.resources == []


# ---- without sync databases ----------------------------------------------------------------


def test_without_databases_names_pass_unchecked_with_a_note() -> None:
    requests = [
        req("htopp", "packages", 0),
        req("sh", "packages", 1),
        req("x", "packages", 2, source="aur"),
    ]
    resolution = resolve(requests, None)

    assert resolution.problems == []
    assert [r.address for r in resolution.resources] == [
        "pacman.package[htopp]",
        "pacman.package[sh]",
        "aur.package[x]",
    ]
    assert resolution.notes == [NO_DATABASES_NOTE]
    assert resolve(requests, None, no_index_note="custom").notes == ["custom"]
    assert resolve(requests[2:], None).notes == []  # nothing was left unchecked


@pytest.mark.system
def test_without_databases_groups_are_problems(new_root: NewRoot) -> None:
    root = new_root()
    root.install("gnome")
    installed = read_local_packages(root.path)
    requests = [
        req("gnome", "desktop", "desktop_manager", "gnome"),  # installed packages say: a group
        req("plasma", "desktop", "desktop_manager", "plasma", exclude=("kate",)),
        req("gdm", "desktop", "display_manager"),
    ]
    resolution = resolve(requests, None, installed)

    assert [str(p) for p in resolution.problems] == [
        "desktop.desktop_manager.gnome: cannot expand group gnome without sync databases",
        "desktop.desktop_manager.plasma: cannot expand group plasma without sync databases",
    ]
    assert [r.address for r in resolution.resources] == ["pacman.package[gdm]"]


# ---- units ---------------------------------------------------------------------------------


@pytest.mark.system
def test_units_shipped_by_planned_packages_pass(units: UnitIndex, index: SyncIndex) -> None:
    wanted = {"sshd.service": "services.openssh", "syncthing@alice.service": "services.syncthing"}
    check = check_units(wanted, ["openssh", "syncthing"], [], units, index=index)

    assert check.problems == [] and check.notes == []


@pytest.mark.system
def test_units_nobody_ships_are_problems(units: UnitIndex, index: SyncIndex) -> None:
    wanted = {"sshd.service": "services.openssh", "foo.service": "services.foo"}
    check = check_units(wanted, ["htop"], [], units, index=index)

    assert check.problems == [
        Problem(
            "services.openssh",
            "no package of this configuration ships sshd.service",
            'openssh ships it: add "openssh" to packages',
        ),
        Problem("services.foo", "no package ships foo.service"),
    ]
    assert check_units(wanted, ["htop"], ["foo.service", "sshd.service"], units).problems == []


@pytest.mark.system
def test_units_of_dependencies_count_with_the_index(units: UnitIndex, index: SyncIndex) -> None:
    wanted = {"pipewire.socket": 'users["demo-user"].services.pipewire'}

    assert check_units(wanted, ["pipewire-pulse"], [], units, index=index, user=True).problems == []
    assert len(check_units(wanted, ["pipewire-pulse"], [], units, user=True).problems) == 1
    assert len(check_units(wanted, ["pipewire"], [], units).problems) == 1  # not a system unit


@pytest.mark.system
def test_units_without_file_lists_or_with_aur_packages_are_notes(units: UnitIndex) -> None:
    wanted = {"foo.service": "services.foo"}

    assert check_units(wanted, [], [], None).notes == [NO_FILE_LISTS_NOTE]
    assert check_units({}, [], [], None).notes == []
    aur = check_units(wanted, [], [], units, aur_packages=["foo-bin"])
    assert aur.problems == []
    assert aur.notes == [
        "services.foo: no repository package of the plan ships foo.service; assuming aur:foo-bin does"
    ]


# ---- the suggestion search -----------------------------------------------------------------


def test_suggester_agrees_with_difflib_over_every_name() -> None:
    names = fake_names(2000, seed=3)
    suggester = Suggester(names)
    rng = random.Random(4)
    for _ in range(60):
        word = rng.choice(names)
        i = rng.randrange(len(word))
        typo = rng.choice(
            [word[:i] + word[i + 1 :], word[:i] + "x" + word[i:], word[:i] + "e" + word[i + 1 :]]
        )
        best = difflib.get_close_matches(typo, names, n=5, cutoff=0.6)
        found = suggester.closest(typo)
        if best:
            ratio = difflib.SequenceMatcher(None, typo, best[0]).ratio()
            assert (
                found is not None and difflib.SequenceMatcher(None, typo, found).ratio() == ratio
            ), typo
        else:
            assert found is None
    assert suggester.closest("") is None
