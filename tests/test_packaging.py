"""The wheel: every import name under `kodos`, lua-lib shipped inside, and it works installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools copies into build/lib and never empties it: a package dropped from the list
    # would still ship from an earlier build's copy, and the tests below could not see it.
    shutil.rmtree(REPO / "build", ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("kodos-*.whl")
    return built


def test_every_import_name_lives_under_kodos(wheel: Path) -> None:
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    metadata = (".dist-info", ".data")  # .data: files installed outside site-packages
    assert {name for name in top_level if not name.endswith(metadata)} == {"kodos"}


def test_every_package_of_the_checkout_ships(wheel: Path) -> None:
    """pyproject.toml lists the packages by hand (three come from other directories): a new
    room left out of the list would be missing from every installed kodos."""
    names = set(zipfile.ZipFile(wheel).namelist())
    in_checkout = {
        "kodos/" + init.relative_to(REPO / "kodos").as_posix()
        for init in (REPO / "kodos").rglob("__init__.py")
    }
    assert sorted(in_checkout - names) == []


def test_the_man_page_ships_as_installed_data(wheel: Path) -> None:
    shipped = zipfile.ZipFile(wheel).read("kodos-0.1.0.data/data/share/man/man1/kodos.1")
    assert shipped == (REPO / "man/kodos.1").read_bytes()


def test_lua_files_ship_inside_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("disk", "repos", "dotfile_manager", "configs"):
        assert f"kodos/lualib/{module}.lua" in names
    assert "kodos/lua/sandbox.lua" in names
    assert "kodos/lualib/expansions/services/openssh.lua" in names
    assert "kodos/providers/__init__.py" in names
    assert "kodos/state/__init__.py" in names


def test_the_installed_wheel_validates_an_example(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    # The unpacked wheel comes first on sys.path, ahead of the editable checkout.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import kodos, kodos.lua.evaluator as e;"
        "from kodos.config.load import load_config;"
        "assert kodos.__file__.startswith(sys.argv[1]), kodos.__file__;"
        "assert str(e.lua_lib_dir()).startswith(sys.argv[1]);"
        "print(load_config('examples/testvm').config.network.hostname)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "testvm\n"
