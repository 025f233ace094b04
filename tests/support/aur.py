"""A local AUR for tests: bare git repositories `<dir>/<pkgbase>.git` holding a PKGBUILD and the
`.SRCINFO` the real `makepkg --printsrcinfo` writes for it, building tiny packages from sources
shipped in the repository — offline, with the real git and makepkg.

`standard_aur(directory)` makes the set the AUR tests use (`STANDARD`): a library, an app
needing it and a repository package, a tool with a repository makedepends, a base whose
pkgbase differs from its package names (a split base), and one that fails to build. The
repository packages they need are `REPO_PACKAGES`, for the test mirror
(`tests.support.mirror.build_mirror`). Each package writes the uid that built it to
`usr/share/<pkgname>/built-by`, and checks while building that its dependencies are installed
where it builds.

`LocalAur.commit` moves a base to a new commit (a new pkgver, say); `AurServer` plays the AUR
over loopback http: the RPC (`/rpc/v5/info`) and the repositories as dumb http git.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.support.mirror import Pkg

SRCINFO_UID = 61183
"""The uid `makepkg --printsrcinfo` runs as (makepkg refuses root); it has no passwd entry."""
GIT_IDENTITY = ("-c", "user.name=kodos tests", "-c", "user.email=tests@kodos.invalid")
GIT_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}

RUNTIME = "kodos-test-runtime"
"""A repository package an AUR package depends on."""
BUILDTOOL = "kodos-test-buildtool"
"""A repository package an AUR package needs only to build (makedepends)."""
BASE_DEVEL = Pkg("base-devel", "1-1", repo="extra", files={"usr/share/base-devel/marker": "\n"})
"""A stand-in for Arch's base-devel (which makepkg assumes): for a mirror that has no other;
`tests.support.catalog`'s standard set has its own."""
REPO_PACKAGES = (
    Pkg(RUNTIME, "1.0-1", repo="extra", files={f"usr/share/{RUNTIME}/runtime.txt": "runtime\n"}),
    Pkg(BUILDTOOL, "2.0-1", repo="extra", files={f"usr/share/{BUILDTOOL}/tool.txt": "tool\n"}),
)


@dataclass(frozen=True)
class AurPackage:
    """One package base of the local AUR. `packages` are its pkgnames (default: the base's
    name); each installs `usr/share/<pkgname>/{data.txt,built-by}`. `needs_files` are paths
    (no leading /) that must exist where it builds — its dependencies' files; `fails` makes
    `build()` fail after writing a few lines of log."""

    pkgbase: str
    pkgver: str = "1.0"
    pkgrel: str = "1"
    packages: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    makedepends: tuple[str, ...] = ()
    checkdepends: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    needs_files: tuple[str, ...] = ()
    fails: bool = False
    data: str = "data\n"
    extra_files: Mapping[str, str] = field(default_factory=dict)
    build_script: str = ""
    """More of `build()`: shell lines run before it writes `built-by`."""

    @property
    def names(self) -> tuple[str, ...]:
        return self.packages or (self.pkgbase,)

    @property
    def version(self) -> str:
        return f"{self.pkgver}-{self.pkgrel}"


FAILURE_LINES = ("compiling aur-broken...", "error: aur-broken.c:1: this package never builds")

STANDARD = (
    AurPackage("aur-lib", needs_files=()),
    AurPackage(
        "aur-app",
        depends=("aur-lib", RUNTIME),
        needs_files=("usr/share/aur-lib/data.txt", f"usr/share/{RUNTIME}/runtime.txt"),
    ),
    AurPackage(
        "aur-tool",
        makedepends=(BUILDTOOL,),
        needs_files=(f"usr/share/{BUILDTOOL}/tool.txt",),
    ),
    AurPackage(
        "aur-multi",
        packages=("aur-multi-cli", "aur-multi-doc"),
        provides=("aur-multi-virtual",),
    ),
    AurPackage("aur-broken", fails=True),
)


def pkgbuild(package: AurPackage) -> str:
    """The PKGBUILD of `package`: sources from the repository, checked dependencies, one
    `package_NAME` function per package (a split base) or `package`."""

    def array(values: Sequence[str]) -> str:
        return "(" + " ".join(f"'{value}'" for value in values) + ")"

    checks = "".join(
        f'  test -e "/{path}" || {{ echo "missing /{path}" >&2; exit 1; }}\n'
        for path in package.needs_files
    )
    failing = "".join(f"  echo '{line}'\n" for line in FAILURE_LINES) + "  false\n"
    lines = [
        f"pkgbase={package.pkgbase}",
        f"pkgname={array(package.names)}",
        f"pkgver={package.pkgver}",
        f"pkgrel={package.pkgrel}",
        "pkgdesc='a kodos test package'",
        "arch=(any)",
        "license=(MIT)",
        f"depends={array(package.depends)}",
        f"makedepends={array(package.makedepends)}",
        f"checkdepends={array(package.checkdepends)}",
        f"provides={array(package.provides)}",
        "source=(data.txt)",
        "sha256sums=(SKIP)",
        "",
        "build() {",
        checks
        + package.build_script
        + (failing if package.fails else '  id -u > "$srcdir/built-by"\n')
        + "}",
        "",
    ]
    for name in package.names:
        function = f"package_{name}" if len(package.names) > 1 else "package"
        lines += [
            f"{function}() {{",
            f'  install -Dm644 "$srcdir/data.txt" "$pkgdir/usr/share/{name}/data.txt"',
            f'  install -Dm644 "$srcdir/built-by" "$pkgdir/usr/share/{name}/built-by"',
            "}",
            "",
        ]
    return "\n".join(lines)


class LocalAur:
    """A directory of bare git repositories `<pkgbase>.git`, each a package base."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.packages: dict[str, AurPackage] = {}
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"file://{self.directory.resolve()}"

    def repository(self, pkgbase: str) -> Path:
        return self.directory / f"{pkgbase}.git"

    def add(self, package: AurPackage) -> str:
        """A new base (its first commit); returns the commit."""
        if package.pkgbase in self.packages:
            raise ValueError(f"{package.pkgbase} is in the local AUR already")
        _git(
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=master",
            str(self.repository(package.pkgbase)),
        )
        return self.commit(package)

    def commit(self, package: AurPackage, message: str = "") -> str:
        """Commit `package` as the new state of its base (moving HEAD); returns the commit."""
        repository = self.repository(package.pkgbase)
        files = {
            "PKGBUILD": pkgbuild(package),
            "data.txt": package.data,
            **package.extra_files,
        }
        files[".SRCINFO"] = printsrcinfo(files)
        with tempfile.TemporaryDirectory(prefix="kodos-aur-commit.") as scratch:
            tree = Path(scratch)
            for name, text in files.items():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                (tree / name).write_text(text)
            where = ["--git-dir", str(repository), "--work-tree", str(tree)]
            _git(*where, "add", "--all")
            message = message or f"{package.pkgbase} {package.version}"
            _git(*GIT_IDENTITY, *where, "commit", "--quiet", "--allow-empty", "-m", message)
        _git("--git-dir", str(repository), "update-server-info")
        self.packages[package.pkgbase] = package
        return self.head(package.pkgbase)

    def bump(self, pkgbase: str, pkgver: str, **changes: object) -> str:
        """Move `pkgbase` to a new commit with version `pkgver` (and other field changes)."""
        package = replace(self.packages[pkgbase], pkgver=pkgver, **changes)  # type: ignore[arg-type]
        return self.commit(package, f"{pkgbase} {pkgver}")

    def head(self, pkgbase: str) -> str:
        return _git("--git-dir", str(self.repository(pkgbase)), "rev-parse", "HEAD").strip()

    def rpc_results(self, names: Sequence[str]) -> list[dict[str, object]]:
        """What the AUR's RPC answers for `names` (the known ones), in its v5 fields."""
        results = []
        for name in names:
            for package in self.packages.values():
                if name in package.names:
                    results.append(
                        {
                            "Name": name,
                            "PackageBase": package.pkgbase,
                            "Version": package.version,
                            "Depends": list(package.depends),
                            "MakeDepends": list(package.makedepends),
                            "CheckDepends": list(package.checkdepends),
                            "Provides": list(package.provides),
                        }
                    )
        return results


def standard_aur(directory: Path) -> LocalAur:
    """The local AUR of `STANDARD`."""
    aur = LocalAur(directory)
    for package in STANDARD:
        aur.add(package)
    return aur


def printsrcinfo(files: Mapping[str, str]) -> str:
    """`makepkg --printsrcinfo` of a PKGBUILD (and its files), run as an unprivileged uid:
    makepkg refuses root."""
    with tempfile.TemporaryDirectory(prefix="kodos-aur-srcinfo.") as scratch:
        tree = Path(scratch)
        for name, text in files.items():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            (tree / name).write_text(text)
        argv = ["makepkg", "--printsrcinfo"]
        if os.geteuid() == 0:
            for path in [tree, *tree.rglob("*")]:
                os.lchown(path, SRCINFO_UID, SRCINFO_UID)
            drop = [f"--reuid={SRCINFO_UID}", f"--regid={SRCINFO_UID}", "--clear-groups"]
            argv = ["setpriv", *drop, *argv]
        done = subprocess.run(
            argv, cwd=tree, capture_output=True, text=True, check=False,
            env={**os.environ, "HOME": str(tree), "LC_ALL": "C"},
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"makepkg --printsrcinfo failed: {done.stderr}")
        return done.stdout


def _git(*arguments: str) -> str:
    done = subprocess.run(
        ["git", *arguments], capture_output=True, text=True, check=False,
        env={**os.environ, **GIT_ENVIRONMENT},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(arguments)} failed: {done.stderr}")
    return done.stdout


class _Handler(http.server.SimpleHTTPRequestHandler):
    aur: LocalAur

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != "/rpc/v5/info":
            super().do_GET()
            return
        names = [value for key, value in urllib.parse.parse_qsl(parts.query) if key == "arg[]"]
        results = self.aur.rpc_results(names)
        body = json.dumps(
            {"version": 5, "type": "multiinfo", "resultcount": len(results), "results": results}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read their own output


@dataclass(frozen=True)
class AurServer:
    """A running loopback AUR: `url` is its `aur_url`."""

    url: str


@contextmanager
def aur_server(aur: LocalAur) -> Iterator[AurServer]:
    """Serve `aur` over http on 127.0.0.1 (a free port) until the block ends: the RPC at
    `/rpc/v5/info`, the repositories as dumb http git at `/<pkgbase>.git`."""
    handler = type("Handler", (_Handler,), {"aur": aur})

    def make(*args: object) -> http.server.SimpleHTTPRequestHandler:
        return handler(*args, directory=str(aur.directory))  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AurServer(url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
