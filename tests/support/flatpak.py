"""A real, offline Flatpak repository and system installations inside target roots.

`build_flatpak_repo(directory)` makes an ostree repository (`ostree init`) holding a tiny
runtime (a static busybox) and applications built with `flatpak build-init`/`build-finish`/
`build-export` (signed with a GPG key of its own on request), and its .flatpakrepo file;
`install_apps(root, repo, ...)` installs them with
`FLATPAK_SYSTEM_DIR=ROOT/var/lib/flatpak flatpak --system install`, exactly as kodos will on
a target root. About 0.3 s for the repository and 0.1 s an installation.
"""

from __future__ import annotations

import base64
import gzip
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.catalog import busybox_binary

FLATPAK_TOOLS = ("flatpak", "ostree", "gpg", "gpgconf")
RUNTIME = "org.kodos.Platform"
REMOTE = "kodos-test"


@dataclass(frozen=True)
class App:
    """An application to export; `version` becomes an AppStream release (what `flatpak list`
    shows as the version), None leaves the app without AppStream data."""

    app_id: str
    version: str | None = None
    branch: str = "stable"


APPS = (
    App("org.kodos.Hello", "1.2.3"),
    App("org.kodos.NoVersion"),
    App("com.example.Two_Words", "2024.1"),
)


@dataclass(frozen=True)
class FlatpakRepo:
    path: Path
    apps: tuple[App, ...]
    description: Path
    """Its .flatpakrepo file: the repository's URL, and its GPG key when it is signed."""
    signed: bool = False

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    @property
    def flatpakrepo_url(self) -> str:
        return f"file://{self.description}"

    def lua(self, remote: str) -> str:
        """`repos.flatpak_repo(...)` adding this repository from its .flatpakrepo file,
        verified when it is signed."""
        options = "" if self.signed else ", { gpg_verify = false }"
        return f'repos.flatpak_repo("{remote}", "{self.flatpakrepo_url}"{options})'


def flatpak(root: Path, *args: str) -> str:
    """`flatpak --system ARGS` against the installation inside `root`."""
    env = {**os.environ, "FLATPAK_SYSTEM_DIR": str(root / "var/lib/flatpak"), "LC_ALL": "C"}
    done = subprocess.run(
        ["flatpak", "--system", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"flatpak {' '.join(args)}: {done.stderr}")
    return done.stdout


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr}")


def build_flatpak_repo(
    directory: Path, apps: tuple[App, ...] = APPS, *, signed: bool = False
) -> FlatpakRepo:
    """The repository at `directory/repo` and its .flatpakrepo file beside it; `signed`: its
    commits and summary signed with a GPG key made for it (in `directory/gnupg`), the key in
    the .flatpakrepo file, as Flathub publishes its own."""
    repo = directory / "repo"
    _run("ostree", "init", "--mode=archive-z2", f"--repo={repo}")
    signing = _signing_key(directory / "gnupg") if signed else []
    runtime = directory / "runtime"
    # A runtime's tree is exported from `usr`; build-export still wants `files` to exist.
    (runtime / "files").mkdir(parents=True)
    (runtime / "usr/bin").mkdir(parents=True)
    (runtime / "usr/bin/busybox").write_bytes(busybox_binary())
    (runtime / "usr/bin/sh").symlink_to("busybox")
    ref = f"{RUNTIME}/x86_64/1"
    (runtime / "metadata").write_text(f"[Runtime]\nname={RUNTIME}\nruntime={ref}\nsdk={ref}\n")
    _run(
        "flatpak", "build-export", "--runtime", "--no-update-summary", *signing, str(repo),
        str(runtime), "1",
    )  # fmt: skip
    for app in apps:
        _export_app(directory / app.app_id, repo, app, ref, signing)
    _run("flatpak", "build-update-repo", *signing, str(repo))
    description = directory / "repo.flatpakrepo"
    lines = ["[Flatpak Repo]", f"Title=Test repository {directory.name}", f"Url=file://{repo}"]
    if signed:
        key = subprocess.run(
            ["gpg", f"--homedir={directory / 'gnupg'}", "--export"], capture_output=True, check=True
        ).stdout
        lines.append("GPGKey=" + base64.b64encode(key).decode())
        _run("gpgconf", f"--homedir={directory / 'gnupg'}", "--kill", "gpg-agent")
    description.write_text("\n".join(lines) + "\n")
    return FlatpakRepo(repo, apps, description, signed)


def _signing_key(home: Path) -> list[str]:
    """A new signing key in the GnuPG home `home`: the options that sign with it."""
    home.mkdir(mode=0o700)
    _run(
        "gpg", f"--homedir={home}", "--batch", "--passphrase", "", "--quick-gen-key",
        "kodos test repository <test@kodos.invalid>", "ed25519", "sign", "never",
    )  # fmt: skip
    listed = subprocess.run(
        ["gpg", f"--homedir={home}", "--list-keys", "--with-colons"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    fingerprint = next(line.split(":")[9] for line in listed.splitlines() if line[:4] == "fpr:")
    return [f"--gpg-sign={fingerprint}", f"--gpg-homedir={home}"]


def _export_app(build: Path, repo: Path, app: App, runtime_ref: str, signing: list[str]) -> None:
    files = build / "files"
    (files / "bin").mkdir(parents=True)
    (files / "bin/hello").write_text("#!/bin/sh\necho hello\n")
    (files / "bin/hello").chmod(0o755)
    (build / "metadata").write_text(
        f"[Application]\nname={app.app_id}\nruntime={runtime_ref}\nsdk={runtime_ref}\n"
    )
    if app.version is not None:
        # What appstream-compose leaves in a build: flatpak reads the release version from it
        # when it deploys the app (the deploy data's `appdata-version`).
        xmls = files / "share/app-info/xmls"
        xmls.mkdir(parents=True)
        component = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<components version="0.8">\n'
            f'<component type="desktop-application"><id>{app.app_id}</id><name>{app.app_id}'
            f'</name><releases><release version="{app.version}" timestamp="1704067200"/>'
            "</releases></component>\n</components>\n"
        )
        (xmls / f"{app.app_id}.xml.gz").write_bytes(gzip.compress(component.encode(), mtime=0))
    _run("flatpak", "build-finish", str(build), "--command=hello")
    export = ["flatpak", "build-export", "--no-update-summary", *signing]
    _run(*export, str(repo), str(build), app.branch)
    shutil.rmtree(build)


def install_apps(root: Path, repo: FlatpakRepo, *app_ids: str) -> None:
    """Add the repository as remote `kodos-test` to `root`'s system installation (once) and
    install `app_ids` from it."""
    (root / "var/lib/flatpak").mkdir(parents=True, exist_ok=True)
    if REMOTE not in flatpak(root, "remotes", "--columns=name").split():
        flatpak(root, "remote-add", "--no-gpg-verify", REMOTE, repo.url)
    flatpak(root, "install", "-y", "--noninteractive", REMOTE, *app_ids)


def listed_apps(root: Path) -> dict[str, tuple[str, str]]:
    """`flatpak list --app`: application → (origin, version); "" for no version (flatpak
    leaves trailing empty columns out)."""
    columns = "--columns=application,origin,version"
    apps = {}
    for line in flatpak(root, "list", "--app", columns).splitlines():
        app_id, origin, version = [*line.split("\t"), "", ""][:3]
        apps[app_id] = (origin, version)
    return apps
