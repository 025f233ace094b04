"""providers.flatpak against the real flatpak: apps installed with `flatpak --system install`
into a target root (FLATPAK_SYSTEM_DIR=ROOT/var/lib/flatpak) read with the remote and version
that `flatpak list --app --columns=application,origin,version` shows."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from kodos.apply.flatpak_remotes import with_keys
from kodos.providers import Reading, Scope, flatpak
from kodos.providers.flatpak import DeployDataError, parse_deploy_data
from tests.support.flatpak import (
    FLATPAK_TOOLS,
    REMOTE,
    FlatpakRepo,
    build_flatpak_repo,
    install_apps,
    listed_apps,
)
from tests.support.flatpak import flatpak as run_flatpak
from tests.support.privilege import as_nobody, require_root_for, world_readable_directory
from tests.support.tools import require_tools

NO_SCOPE = Scope()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> FlatpakRepo:
    require_tools(*FLATPAK_TOOLS, "busybox")
    # Without root, `flatpak --system` asks its D-Bus system helper, which is not there.
    require_root_for("flatpak --system install writes the system installation itself")
    return build_flatpak_repo(tmp_path_factory.mktemp("flatpak"))


@pytest.fixture(scope="module")
def installed(repo: FlatpakRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flatpak-root")
    install_apps(root, repo, *(app.app_id for app in repo.apps))
    return root


def read_apps(root: Path) -> dict[str, dict[str, object]]:
    resources = flatpak.read(root, NO_SCOPE).resources
    return {r.name: dict(r.attributes) for r in resources if r.kind == "app"}


def read_remotes(root: Path) -> dict[str, dict[str, object]]:
    resources = flatpak.read(root, NO_SCOPE).resources
    return {r.name: dict(r.attributes) for r in resources if r.kind == "remote"}


@pytest.mark.system
def test_installed_apps_read_as_flatpak_lists_them(installed: Path) -> None:
    found = read_apps(installed)
    listed = listed_apps(installed)

    assert (
        set(found)
        == set(listed)
        == {"org.kodos.Hello", "org.kodos.NoVersion", "com.example.Two_Words"}
    )
    for app_id, (origin, version) in listed.items():
        assert found[app_id]["remote"] == origin == REMOTE
        assert found[app_id].get("version", "") == version
    assert found["org.kodos.Hello"] == {"remote": REMOTE, "version": "1.2.3"}
    assert found["org.kodos.NoVersion"] == {"remote": REMOTE}  # no AppStream data: no version


@pytest.mark.system
def test_runtimes_are_not_apps(installed: Path) -> None:
    assert (installed / "var/lib/flatpak/runtime/org.kodos.Platform").is_dir()
    assert "org.kodos.Platform" not in read_apps(installed)


@pytest.mark.system
def test_an_uninstalled_app_is_absent(repo: FlatpakRepo, tmp_path: Path) -> None:
    install_apps(tmp_path, repo, "org.kodos.Hello", "org.kodos.NoVersion")
    run_flatpak(tmp_path, "uninstall", "-y", "--noninteractive", "org.kodos.Hello")

    assert set(read_apps(tmp_path)) == set(listed_apps(tmp_path)) == {"org.kodos.NoVersion"}


@pytest.mark.system
def test_remotes_read_as_flatpak_lists_them(repo: FlatpakRepo, tmp_path: Path) -> None:
    install_apps(tmp_path, repo, "org.kodos.Hello")  # adds the remote `kodos-test`, unverified
    signed = "https://flatpak.example.org/repo/"
    run_flatpak(tmp_path, "remote-add", "--if-not-exists", "--no-enumerate", "signed", signed)
    columns = "--columns=name,url,options"
    listed = [line.split("\t") for line in run_flatpak(tmp_path, "remotes", columns).split("\n")]

    assert sorted(line for line in listed if line != [""]) == [
        [REMOTE, repo.url, "no-gpg-verify"],
        ["signed", signed, "no-enumerate"],
    ]
    assert read_remotes(tmp_path) == {
        REMOTE: {"url": repo.url, "gpg_verify": False},
        "signed": {"url": signed, "gpg_verify": True},
    }


def test_remote_sections_are_read_as_glib_reads_them() -> None:
    text = (
        '[core]\nrepo_version=1\n\n# a comment\n[remote "a.b-c"]\nurl = file:///srv/a\\sb\n'
        "gpg-verify=false\nurl=file:///srv/last\n[remote broken]\nurl=x\n"
        '[remote "marked"]\nurl=https://r.example/repo/\nkodos-added-by=kodos\n'
        "kodos-flatpakrepo=https://r.example/r.flatpakrepo\n"
        "kodos-flatpakrepo-url=https://r.example/repo/\n"
        '[remote "moved"]\nurl=https://elsewhere.example/\n'
        "kodos-flatpakrepo=https://r.example/r.flatpakrepo\n"
        "kodos-flatpakrepo-url=https://r.example/repo/\n"
    )

    sections = flatpak.remote_sections(text)

    assert sections["a.b-c"] == {"url": "file:///srv/last", "gpg-verify": "false"}
    assert flatpak.remote_sections('[remote "x"]\nurl=file:///a\\sb\\\\c\n') == {
        "x": {"url": "file:///a b\\c"}
    }
    assert list(sections) == ["a.b-c", "marked", "moved"]
    assert flatpak.remote_attributes(sections["marked"]) == {
        "url": "https://r.example/r.flatpakrepo",  # the file the remote was set from
        "gpg_verify": True,
        "added_by": "kodos",
    }
    # Changed by hand since: the repository URL it has now is what the plan compares.
    assert flatpak.remote_attributes(sections["moved"]) == {
        "url": "https://elsewhere.example/",
        "gpg_verify": True,
    }


def test_a_config_linked_out_of_the_root_is_read_inside_it(tmp_path: Path) -> None:
    host = tmp_path / "host-config"
    host.write_text('[remote "evil"]\nurl=https://evil.example/\n')
    root = tmp_path / "root"
    (root / "var/lib/flatpak/repo").mkdir(parents=True)
    (root / "var/lib/flatpak/repo/config").symlink_to(host)  # absolute: means root/<host>

    assert flatpak.read(root, NO_SCOPE) == Reading()


def test_a_root_without_flatpak_has_no_apps(tmp_path: Path) -> None:
    assert flatpak.read(tmp_path, NO_SCOPE) == Reading()


@pytest.mark.system
def test_damaged_deploy_data_is_a_note(installed: Path, tmp_path: Path) -> None:
    shutil.copytree(
        installed / "var/lib/flatpak/app", tmp_path / "var/lib/flatpak/app", symlinks=True
    )
    deploy = tmp_path / "var/lib/flatpak/app/org.kodos.Hello/current/active/deploy"
    deploy.write_bytes(b"garbage")

    reading = flatpak.read(tmp_path, NO_SCOPE)

    hello = next(r for r in reading.resources if r.name == "org.kodos.Hello")
    assert dict(hello.attributes) == {}
    (note,) = reading.notes
    assert note.startswith("flatpak org.kodos.Hello: deploy data unreadable (")
    assert note.endswith("); remote unknown")


def test_deploy_data_parsing_rejects_truncation() -> None:
    with pytest.raises(DeployDataError):
        parse_deploy_data(b"")
    with pytest.raises(DeployDataError):
        parse_deploy_data(b"local\x00\x09\x06")


def test_kodos_marks_one_remote_section_and_reads_its_marks_back() -> None:
    text = (
        '[core]\nmode=bare\n\n[remote "a"]\nurl=file:///a\nkodos-flatpakrepo=old\n\n'
        '[remote "b"]\nurl=file:///b\n'
    )
    odd = " x\\y\n"  # a leading space, a backslash, a line break: escaped as GLib does

    marked = with_keys(
        text, "a", {"kodos-added-by": "kodos", "kodos-flatpakrepo": None, "kodos-x": odd}
    )

    assert marked == (
        '[core]\nmode=bare\n\n[remote "a"]\nkodos-added-by=kodos\nkodos-x=\\sx\\\\y\\n\n'
        'url=file:///a\n\n[remote "b"]\nurl=file:///b\n'
    )
    assert flatpak.remote_sections(marked) == {
        "a": {"kodos-added-by": "kodos", "kodos-x": odd, "url": "file:///a"},
        "b": {"url": "file:///b"},
    }


@pytest.mark.system
def test_an_unreadable_repository_config_is_a_note() -> None:
    with world_readable_directory() as root:
        config = root / "var/lib/flatpak/repo/config"
        config.parent.mkdir(parents=True)
        config.write_text('[remote "a"]\nurl=file:///a\n')
        config.chmod(0o600)
        code = (
            "import sys; from pathlib import Path; from kodos.providers import Scope, flatpak; "
            "print(flatpak.read(Path(sys.argv[1]), Scope()))"
        )

        done = as_nobody([sys.executable, "-c", code, str(root)], cwd=REPO)

    assert done.stdout == (
        "Reading(resources=[], notes=['/var/lib/flatpak/repo/config: not readable "
        "(Permission denied); remotes unknown'])\n"
    ), done.stderr
