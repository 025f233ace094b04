"""The AUR room without a network or a build: `.SRCINFO`, names, the build order, RPC answers,
URLs and the local repository's pacman section; every refusal with its exact message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodos.aur.errors import AurBuildError, AurError
from kodos.aur.localrepo import LocalRepo
from kodos.aur.names import checked_commit, checked_name
from kodos.aur.order import build_order, dependency_name
from kodos.aur.rpc import _results
from kodos.aur.source import AurBase, AurSource, base_of_url
from kodos.aur.srcinfo import SrcInfo, parse_srcinfo

SPLIT = """\
pkgbase = aur-multi
\tpkgdesc = split
\tpkgver = 2.1
\tpkgrel = 3
\tepoch = 1
\tarch = x86_64
\tdepends = glibc
\tdepends_x86_64 = lib32-thing>=2
\tdepends_aarch64 = arm-only
\tmakedepends = cmake
\tcheckdepends = python-pytest
\tprovides = multi

pkgname = aur-multi-cli
\tdepends = bash
\tdepends = aur-lib>=1.0

pkgname = aur-multi-doc
\tprovides =
"""


def test_split_base_merges_each_packages_overrides() -> None:
    info = parse_srcinfo(SPLIT, "aur-multi/.SRCINFO")
    assert info == SrcInfo(
        pkgbase="aur-multi",
        version="1:2.1-3",
        packages=("aur-multi-cli", "aur-multi-doc"),
        depends=("bash", "aur-lib>=1.0", "lib32-thing>=2", "glibc"),
        makedepends=("cmake",),
        checkdepends=("python-pytest",),
        provides=("multi",),
        arch=("x86_64",),
    )
    assert info.build_needs() == (
        "bash", "aur-lib>=1.0", "lib32-thing>=2", "glibc", "cmake", "python-pytest",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pkgver = 1\n", "x/.SRCINFO: no pkgbase line"),
        ("pkgbase = a\n\tpkgver = 1\n\tpkgrel = 1\n", "x/.SRCINFO: no pkgname line"),
        ("pkgbase = a\n\tpkgrel = 1\npkgname = a\n", "x/.SRCINFO: no pkgver"),
        ("pkgbase = a\nnonsense\n", "x/.SRCINFO:2: not a `key = value` line: 'nonsense'"),
        ("pkgname = a\n", "x/.SRCINFO:1: pkgname before the pkgbase line"),
        ("pkgbase = a\npkgbase = b\n", "x/.SRCINFO:2: a second pkgbase line"),
        ("pkgbase = ../etc\n", "not a valid AUR package base: '../etc'"),
        (
            "pkgbase = a\n\tpkgver = 1\n\tpkgrel = 1\npkgname = -rf\n",
            "not a valid AUR package name: '-rf'",
        ),
    ],
)
def test_malformed_srcinfo_is_refused_where_it_is(text: str, message: str) -> None:
    with pytest.raises(AurError) as raised:
        parse_srcinfo(text, "x/.SRCINFO")
    assert str(raised.value) == message


@pytest.mark.parametrize("name", ["", "-x", ".hidden", "a/b", "A", "a b", "x" * 256, "a\n"])
def test_names_that_could_be_options_or_paths_are_refused(name: str) -> None:
    with pytest.raises(AurError) as raised:
        checked_name(name)
    assert str(raised.value) == f"not a valid AUR package name: {name!r}"


def test_awkward_but_valid_names_pass() -> None:
    for name in ("libsigc++", "python-foo.bar", "foo@2", "_x", "0ad"):
        assert checked_name(name) == name
    with pytest.raises(AurError) as raised:
        checked_commit("HEAD")
    assert str(raised.value) == "not a git commit id (40 hexadecimal digits): 'HEAD'"


def base(
    pkgbase: str, *needs: str, packages: tuple[str, ...] = (), provides: tuple[str, ...] = ()
) -> AurBase:
    info = SrcInfo(pkgbase, "1-1", packages or (pkgbase,), depends=needs, provides=provides)
    return AurBase(pkgbase, "0" * 40, info)


def test_order_puts_aur_dependencies_first_by_name_or_provides() -> None:
    bases = [
        base("zz-app", "mid>=2", "glibc"),
        base("mid", "virtual-lib"),
        base("lib-impl", provides=("virtual-lib=1",)),
        base("aa-alone"),
        base("split", packages=("split-a", "split-b")),
        base("uses-split", "split-b"),
    ]
    order = [b.pkgbase for b in build_order(bases)]
    assert order == ["aa-alone", "lib-impl", "mid", "split", "uses-split", "zz-app"]


def test_a_cycle_is_named() -> None:
    bases = [base("a", "b"), base("b", "c"), base("c", "a"), base("d", "a")]
    with pytest.raises(AurError) as raised:
        build_order(bases)
    assert str(raised.value) == "AUR packages depend on each other in a cycle: a → b → c → a"


def test_a_base_needing_its_own_package_is_no_cycle() -> None:
    assert [b.pkgbase for b in build_order([base("a", "a")])] == ["a"]


def test_dependency_names() -> None:
    assert [dependency_name(d) for d in ("foo>=1.2", "libx.so=1-64", "bar<3", "baz")] == [
        "foo", "libx.so", "bar", "baz",
    ]  # fmt: skip


def test_clone_urls_name_their_base() -> None:
    assert base_of_url("https://aur.archlinux.org/yay-bin.git") == "yay-bin"
    assert base_of_url("https://aur.archlinux.org/paru.git/") == "paru"
    assert base_of_url("https://aur.archlinux.org/packages/yay") is None
    assert base_of_url("https://example.org/-rf.git") is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ssh://aur@aur.archlinux.org",
            "aur_url 'ssh://aur@aur.archlinux.org': only https://, http:// and file:// are supported",
        ),
        (
            "ext::sh -c evil",
            "aur_url 'ext::sh -c evil': only https://, http:// and file:// are supported",
        ),
        (
            "file://host/srv/aur",
            "aur_url 'file://host/srv/aur': a file:// URL names a local directory",
        ),
        (
            "https://aur.archlinux.org/?x=1",
            "aur_url 'https://aur.archlinux.org/?x=1': no query or fragment, please",
        ),
    ],
)
def test_unsupported_aur_urls_are_refused(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(AurError) as raised:
        AurSource(url, tmp_path)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "the AUR RPC at https://aur.test did not answer JSON"),
        (b"[]", "the AUR RPC at https://aur.test answered list, not an object"),
        (
            b'{"type": "error", "error": "Too many package results."}',
            "the AUR RPC at https://aur.test refused: Too many package results.",
        ),
        (
            b'{"type": "search", "results": []}',
            "the AUR RPC at https://aur.test answered no multiinfo results",
        ),
        (
            b'{"type": "multiinfo", "results": [{"Name": "a"}]}',
            "the AUR RPC at https://aur.test answered a result without Name/PackageBase",
        ),
        (
            b'{"type": "multiinfo", "results": [{"Name": "a", "PackageBase": "../x"}]}',
            "not a valid AUR package base: '../x'",
        ),
    ],
)
def test_malformed_rpc_answers_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(AurError) as raised:
        _results("https://aur.test", body)
    assert str(raised.value) == message


def test_rpc_answer_maps_names_to_bases() -> None:
    body = b'{"version":5,"type":"multiinfo","resultcount":1,"results":[{"Name":"yay-bin","PackageBase":"yay-bin"},{"Name":"a-doc","PackageBase":"a"}]}'
    assert _results("https://aur.test", body) == {"yay-bin": "yay-bin", "a-doc": "a"}


def test_pacman_section_names_the_directory() -> None:
    repo = LocalRepo(Path("/kodos/aur"))
    assert repo.pacman_section() == (
        "[kodos-aur]\nSigLevel = Optional TrustAll\nServer = file:///kodos/aur\n"
    )


def test_build_error_names_the_base_and_the_log() -> None:
    err = AurBuildError("aur-x", "line 1\nline 2", reason="makepkg failed with exit code 4",
                        log_path=Path("/w/aur-x.log"))  # fmt: skip
    assert str(err) == (
        "AUR package base 'aur-x' failed to build: makepkg failed with exit code 4\n"
        "the end of its build log (/w/aur-x.log):\nline 1\nline 2"
    )


def test_a_base_for_another_architecture_is_refused_before_building(tmp_path: Path) -> None:
    from kodos.apply.aurbuild import build_all

    info = SrcInfo("aur-arm", "1-1", ("aur-arm",), arch=("aarch64", "armv7h"))
    arm = AurBase("aur-arm", "a" * 40, info)
    source = AurSource("file:///nonexistent", tmp_path / "cache")
    with pytest.raises(AurBuildError) as raised:
        build_all(
            [arm], source, LocalRepo(tmp_path / "repo"), work_dir=tmp_path / "w", build_uid=61184
        )
    machine = os.uname().machine
    assert str(raised.value) == (
        f"AUR package base 'aur-arm' failed to build: it builds for aarch64, armv7h, not {machine}"
    )


def test_damaged_local_repository_records_are_refused_with_the_field(tmp_path: Path) -> None:
    from kodos.errors import ProblemsError

    (tmp_path / "kodos-aur.json").write_text(
        '{"format_version": 1, "bases": {"a": {"current": "HEAD", "builds": {}}}}'
    )
    with pytest.raises(ProblemsError) as raised:
        LocalRepo(tmp_path).built(base("a"))
    assert str(raised.value) == (
        f"{tmp_path / 'kodos-aur.json'}: bases.a.current: "
        "String should match pattern '^[0-9a-f]{40}$'"
    )


def test_an_arch_system_builds_with_base_devel(tmp_path: Path) -> None:
    from kodos.apply.aurbuild import IMPLICIT_NEEDS, implicit_needs_of

    assert implicit_needs_of(tmp_path) == ()
    (tmp_path / "var/lib/pacman/local").mkdir(parents=True)
    (tmp_path / "var/lib/pacman/local/ALPM_DB_VERSION").write_text("9\n")
    assert implicit_needs_of(tmp_path) == IMPLICIT_NEEDS == ("base-devel",)


def test_a_file_aur_that_is_no_directory_is_named(tmp_path: Path) -> None:
    source = AurSource(f"file://{tmp_path}/missing", tmp_path / "cache")
    with pytest.raises(AurError) as raised:
        source.bases_for(["yay"])
    assert str(raised.value) == (
        f"aur_url file://{tmp_path}/missing: {tmp_path}/missing is not a directory"
    )
    with pytest.raises(AurError) as raised:
        source.fetch("../etc")
    assert str(raised.value) == "not a valid AUR package base: '../etc'"
    assert not (tmp_path / "cache").exists()
