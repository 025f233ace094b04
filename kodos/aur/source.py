"""Where the AUR is, and the git mirrors kodos keeps of its package bases.

An AUR is a URL: `https://aur.archlinux.org` (or any http(s) server speaking the same RPC),
where base `B` is cloned from `<url>/B.git` and names are looked up through the RPC; or a
`file://` directory of git repositories `<dir>/B.git`, where a name is found in the `.SRCINFO`
at each repository's HEAD. Either way kodos keeps a bare mirror of each base it fetched in a
cache directory (`<cache_dir>/B.git`), which must be the running user's alone (created 0700;
a link, another owner or a group- or world-writable mode is refused), and reads everything
else — `.SRCINFO` at a commit, the files changed between two, the diff, a commit's tree — from
that mirror. Names are checked before they reach git or a path; git runs as `git.py` says.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kodos.aur.errors import AurError
from kodos.aur.git import git
from kodos.aur.names import checked_commit, checked_name
from kodos.aur.rpc import rpc_bases
from kodos.aur.srcinfo import SrcInfo, parse_srcinfo
from kodos.system.ownership import foreign_reason
from kodos.system.runner import CommandFailed, run

DEFAULT_AUR_URL = "https://aur.archlinux.org"
SRCINFO = ".SRCINFO"


def base_of_url(url: str) -> str | None:
    """The package base a clone URL names (`https://aur.archlinux.org/yay-bin.git` →
    `yay-bin`), or None when its last part is no `NAME.git` with a valid name."""
    last = urllib.parse.urlsplit(url).path.rstrip("/").rpartition("/")[2]
    if not last.endswith(".git"):
        return None
    name = last.removesuffix(".git")
    try:
        return checked_name(name)
    except AurError:
        return None


@dataclass(frozen=True)
class AurBase:
    """A package base at one commit: `info` is its `.SRCINFO` there."""

    pkgbase: str
    commit: str
    info: SrcInfo


class AurSource:
    """The AUR at `aur_url` (http(s) or file://), mirrored into `cache_dir`."""

    def __init__(self, aur_url: str, cache_dir: Path) -> None:
        parts = urllib.parse.urlsplit(aur_url)
        if parts.scheme not in ("https", "http", "file"):
            raise AurError(f"aur_url {aur_url!r}: only https://, http:// and file:// are supported")
        if parts.scheme == "file" and (parts.netloc not in ("", "localhost") or not parts.path):
            raise AurError(f"aur_url {aur_url!r}: a file:// URL names a local directory")
        if parts.query or parts.fragment:
            raise AurError(f"aur_url {aur_url!r}: no query or fragment, please")
        self.aur_url = aur_url.rstrip("/")
        self.scheme = parts.scheme
        self.cache_dir = cache_dir
        self._directory = Path(urllib.parse.unquote(parts.path)) if parts.scheme == "file" else None

    # --- lookups -----------------------------------------------------------------------------

    def bases_for(self, names: Iterable[str]) -> dict[str, str]:
        """Package name → package base for each of `names`; names the AUR does not know raise
        one `AurError` naming them all."""
        wanted = list(dict.fromkeys(checked_name(name) for name in names))
        found = self.lookup(wanted)
        missing = [name for name in wanted if name not in found]
        if missing:
            listed = ", ".join(missing)
            raise AurError(f"not in the AUR at {self.aur_url}: {listed}")
        return {name: found[name] for name in wanted}

    def lookup(self, names: Iterable[str]) -> dict[str, str]:
        """Package name → package base for those of `names` the AUR knows; the others are
        left out (`bases_for` refuses them)."""
        wanted = list(dict.fromkeys(checked_name(name) for name in names))
        if not wanted:
            return {}
        if self._directory is None:
            return rpc_bases(self.aur_url, wanted)
        return self._local_bases(wanted)

    def _local_bases(self, names: list[str]) -> dict[str, str]:
        """A file:// AUR: a name whose own repository lists it, else every repository read."""
        assert self._directory is not None
        if not self._directory.is_dir():
            raise AurError(f"aur_url {self.aur_url}: {self._directory} is not a directory")
        found = {}
        for name in names:
            info = self._head_srcinfo(name)
            if info is not None and name in info.packages:
                found[name] = info.pkgbase
        if len(found) < len(names):
            index = self._local_index()
            for name in names:
                if name not in found and name in index:
                    found[name] = index[name]
        return found

    def _local_index(self) -> dict[str, str]:
        """Package name → base over every repository of the directory (by name order)."""
        assert self._directory is not None
        index: dict[str, str] = {}
        for entry in sorted(self._directory.glob("*.git")):
            base = base_of_url(entry.name)
            try:
                info = self._head_srcinfo(base) if base is not None else None
            except AurError:  # a damaged repository offers nothing; it fails when asked for
                continue
            if info is not None:
                for name in info.packages:
                    index.setdefault(name, info.pkgbase)
        return index

    def _head_srcinfo(self, pkgbase: str) -> SrcInfo | None:
        """The `.SRCINFO` at HEAD of `<dir>/<pkgbase>.git`, None when there is no such
        repository or file. Plumbing only: the repository's configuration runs nothing."""
        assert self._directory is not None
        repository = self._directory / f"{pkgbase}.git"
        if not repository.is_dir():
            return None
        try:
            text = git(
                self.scheme, [repository],
                ["--git-dir", str(repository), "cat-file", "blob", f"HEAD:{SRCINFO}"],
                what=f"reading {SRCINFO} of {repository}",
            )  # fmt: skip
        except AurError:
            return None
        info = parse_srcinfo(text, f"{repository}:{SRCINFO}")
        if info.pkgbase != pkgbase:
            raise AurError(f"{repository}:{SRCINFO}: pkgbase is {info.pkgbase!r}, not {pkgbase!r}")
        return info

    # --- the mirrors -------------------------------------------------------------------------

    def clone_url(self, pkgbase: str) -> str:
        return f"{self.aur_url}/{checked_name(pkgbase, 'package base')}.git"

    def mirror(self, pkgbase: str) -> Path:
        """Where the bare mirror of `pkgbase` lies (it may not exist yet)."""
        return self.cache_dir / f"{checked_name(pkgbase, 'package base')}.git"

    def fetch(self, pkgbase: str) -> str:
        """Clone or update the mirror of `pkgbase`; return the commit its HEAD is at."""
        mirror = self.mirror(pkgbase)
        self._prepare_cache()
        url = self.clone_url(pkgbase)
        trusted = [mirror, *self._source_repositories(pkgbase)]
        if mirror.is_dir():
            git(
                self.scheme, trusted,
                ["--git-dir", str(mirror), "fetch", "--quiet", "--prune", "--force", url,
                 "+HEAD:refs/heads/kodos-head", "+refs/heads/*:refs/heads/*"],
                what=f"fetching {url}",
            )  # fmt: skip
        else:
            self._clone(url, mirror, trusted)
        return self._rev(mirror, "refs/heads/kodos-head")

    def _clone(self, url: str, mirror: Path, trusted: list[Path]) -> None:
        """A fresh bare mirror, made under a temporary name and renamed into place, so a
        failed clone leaves nothing that looks like a mirror."""
        temporary = Path(tempfile.mkdtemp(prefix=f".{mirror.name}.", dir=self.cache_dir))
        try:
            git(
                self.scheme, [*trusted, temporary],
                ["clone", "--quiet", "--bare", "--no-local", "--", url, str(temporary)],
                what=f"cloning {url}",
            )  # fmt: skip
            try:
                git(
                    self.scheme, [temporary],
                    ["--git-dir", str(temporary), "update-ref", "refs/heads/kodos-head", "HEAD"],
                    what=f"reading HEAD of {url}",
                )  # fmt: skip
            except AurError:  # the AUR serves an empty repository for any name it lacks
                raise AurError(f"{url} has no commits: is there such a package base?") from None
            os.rename(temporary, mirror)
        except BaseException:
            run(["rm", "-rf", "--", str(temporary)], check=False)
            raise

    def _source_repositories(self, pkgbase: str) -> list[Path]:
        return [self._directory / f"{pkgbase}.git"] if self._directory is not None else []

    def _prepare_cache(self) -> None:
        try:
            self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            reason = foreign_reason(os.lstat(self.cache_dir))
        except OSError as err:
            raise AurError(f"AUR cache {self.cache_dir}: {err.strerror}") from None
        if reason is not None:
            raise AurError(f"AUR cache {self.cache_dir} is not this user's alone: {reason}")

    def _rev(self, mirror: Path, revision: str) -> str:
        out = git(
            self.scheme, [mirror],
            ["--git-dir", str(mirror), "rev-parse", "--verify", "--quiet",
             f"{revision}^{{commit}}"],
            what=f"reading {revision} of {mirror}",
        )  # fmt: skip
        return checked_commit(out.strip())

    def _existing_mirror(self, pkgbase: str) -> Path:
        mirror = self.mirror(pkgbase)
        if not mirror.is_dir():
            raise AurError(f"AUR package base {pkgbase!r} was not fetched (no {mirror})")
        self._prepare_cache()
        return mirror

    def has(self, pkgbase: str, commit: str) -> bool:
        """Whether the mirror of `pkgbase` holds `commit` (False when there is no mirror)."""
        checked_commit(commit)
        if not self.mirror(pkgbase).is_dir():
            return False
        try:
            self._commit(pkgbase, commit)
        except AurError:
            return False
        return True

    def _commit(self, pkgbase: str, commit: str) -> tuple[Path, str]:
        mirror = self._existing_mirror(pkgbase)
        checked_commit(commit)
        try:
            self._rev(mirror, commit)
        except AurError:
            raise AurError(f"AUR package base {pkgbase!r} has no commit {commit}") from None
        return mirror, commit

    # --- reading a commit --------------------------------------------------------------------

    def at(self, pkgbase: str, commit: str) -> AurBase:
        """`pkgbase` at exactly `commit` (which the mirror must hold), with its `.SRCINFO`."""
        mirror, commit = self._commit(pkgbase, commit)
        text = git(
            self.scheme, [mirror],
            ["--git-dir", str(mirror), "cat-file", "blob", f"{commit}:{SRCINFO}"],
            what=f"reading {SRCINFO} of {pkgbase} at {commit}",
        )  # fmt: skip
        info = parse_srcinfo(text, f"{pkgbase} {commit[:12]}:{SRCINFO}")
        if info.pkgbase != pkgbase:
            raise AurError(
                f"{pkgbase} {commit[:12]}:{SRCINFO}: pkgbase is {info.pkgbase!r}, not {pkgbase!r}"
            )
        return AurBase(pkgbase=pkgbase, commit=commit, info=info)

    def changed_files(self, pkgbase: str, old: str, new: str) -> list[str]:
        """The paths that differ between commits `old` and `new`, sorted."""
        mirror, old = self._commit(pkgbase, old)
        _, new = self._commit(pkgbase, new)
        out = git(
            self.scheme, [mirror],
            ["--git-dir", str(mirror), "diff", "--no-ext-diff", "--no-textconv", "--no-renames",
             "--name-only", "-z", old, new, "--"],
            what=f"comparing {pkgbase} {old[:12]}..{new[:12]}",
        )  # fmt: skip
        return sorted(path for path in out.split("\0") if path)

    def diff(self, pkgbase: str, old: str, new: str) -> str:
        """The whole `git diff` from `old` to `new` (PKGBUILD, `.install`, patches...)."""
        mirror, old = self._commit(pkgbase, old)
        _, new = self._commit(pkgbase, new)
        return git(
            self.scheme, [mirror],
            ["--git-dir", str(mirror), "diff", "--no-color", "--no-ext-diff", "--no-textconv",
             old, new, "--"],
            what=f"comparing {pkgbase} {old[:12]}..{new[:12]}",
        )  # fmt: skip

    def export(self, pkgbase: str, commit: str, dest: Path) -> None:
        """Write the tree of `pkgbase` at `commit` into `dest` (an empty or new directory):
        `git archive` to a file, unpacked by tar with no owners taken from the archive."""
        mirror, commit = self._commit(pkgbase, commit)
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="kodos-aur-export.") as scratch:
            archive = Path(scratch) / "tree.tar"
            git(
                self.scheme, [mirror],
                ["--git-dir", str(mirror), "archive", "--format=tar", "-o", str(archive), commit],
                what=f"exporting {pkgbase} at {commit}",
            )  # fmt: skip
            try:
                run(["tar", "-x", "--no-same-owner", "--no-same-permissions", "-f", str(archive),
                     "-C", str(dest)])  # fmt: skip
            except CommandFailed as err:
                raise AurError(f"unpacking {pkgbase} at {commit}: {err.message}") from None
