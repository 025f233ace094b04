"""flatpak.remote changes: the remotes of the target's system installation, set up before any
app is installed from them and removed after the apps from them are gone.

* create: `remote-add --if-not-exists NAME URL` — with `--from` when the URL names a
  .flatpakrepo file (flatpak takes the repository URL, the GPG key and the title from it),
  with `--no-gpg-verify` when the configuration says `gpg_verify = false` — then kodos's mark
  in the remote's section of `repo/config` (providers/flatpak.py): it added the remote, and
  from which .flatpakrepo file;
* update: `remote-modify` with `--url` and `--gpg-verify`/`--no-gpg-verify` as changed. A
  .flatpakrepo URL is first read by flatpak itself, in a scratch installation that is thrown
  away: `remote-modify` takes a repository URL and a key file, not a .flatpakrepo. A remote
  kodos adopted (one the machine had) stays unmarked: removing it from the configuration
  leaves it in place;
* delete: `remote-delete NAME`; the planner deletes only remotes kodos added, and the
  preflight (`kodos.apply.flatpak.remote_problems`) refuses when apps from it would stay.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from kodos.apply.flatpak import URL_SCHEMES, flatpak_in, run_flatpak
from kodos.apply.work import StepFailed, Work, failing_as
from kodos.config.model import is_flatpakrepo_url
from kodos.plan.model import Action, Change
from kodos.providers.flatpak import (
    ADDED_BY,
    FLATPAKREPO,
    FLATPAKREPO_URL,
    REPO_CONFIG,
    remote_of_section,
    remote_sections,
)
from kodos.system.atomic import write_bytes_atomic
from kodos.system.rootfs import checked_in_root, read_text_in_root

CONFIGURE_STEP = "configure Flatpak remotes"
REMOVE_STEP = "remove Flatpak remotes"


def configure(work: Work, changes: Sequence[Change]) -> None:
    for change in changes:
        with failing_as(CONFIGURE_STEP, [change]):
            wanted = work.wanted(change)
            # The URL's shape was checked before anything changed (flatpak.remote_problems).
            url, gpg_verify = str(wanted["url"]), wanted.get("gpg_verify") is not False
            if change.action == Action.CREATE:
                _add(work.target, change.name, url, gpg_verify)
            else:
                _modify(work.target, change, url, gpg_verify)


def remove(work: Work, changes: Sequence[Change]) -> None:
    with failing_as(REMOVE_STEP, changes):
        for change in changes:
            run_flatpak(work.target, "remote-delete", "--", change.name)


def _add(target: Path, name: str, url: str, gpg_verify: bool) -> None:
    verify = [] if gpg_verify else ["--no-gpg-verify"]
    if is_flatpakrepo_url(url):
        run_flatpak(target, "remote-add", "--if-not-exists", "--from", *verify, "--", name, url)
        given = remote_sections(_config_text(target)).get(name, {}).get("url", "")
        _mark(target, name, {ADDED_BY: "kodos", FLATPAKREPO: url, FLATPAKREPO_URL: given})
    else:
        run_flatpak(target, "remote-add", "--if-not-exists", *verify, "--", name, url)
        _mark(target, name, {ADDED_BY: "kodos", FLATPAKREPO: None, FLATPAKREPO_URL: None})


def _modify(target: Path, change: Change, url: str, gpg_verify: bool) -> None:
    options = []
    if "gpg_verify" in change.changed:
        options.append("--gpg-verify" if gpg_verify else "--no-gpg-verify")
    marks: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="kodos-flatpakrepo-") as scratch:
        if "url" in change.changed and is_flatpakrepo_url(url):
            repository, keyring = _read_flatpakrepo(scratch, change, url, gpg_verify)
            options.append(f"--url={repository}")
            if keyring is not None:
                options.append(f"--gpg-import={keyring}")
            marks = {FLATPAKREPO: url, FLATPAKREPO_URL: repository}
        elif "url" in change.changed:
            options.append(f"--url={url}")
            marks = {FLATPAKREPO: None, FLATPAKREPO_URL: None}
        if options:
            run_flatpak(target, "remote-modify", *options, "--", change.name)
    if marks:
        _mark(target, change.name, marks)


def _read_flatpakrepo(
    scratch: str, change: Change, url: str, gpg_verify: bool
) -> tuple[str, str | None]:
    """(repository URL, its key ring or None) of a .flatpakrepo file, as flatpak reads it:
    the remote added to the scratch installation `scratch`."""
    verify = [] if gpg_verify else ["--no-gpg-verify"]
    flatpak_in(scratch, "remote-add", "--from", *verify, "--", change.name, url)
    text = Path(scratch, "repo/config").read_text(encoding="utf-8")
    repository = remote_sections(text).get(change.name, {}).get("url", "")
    if not repository.startswith(URL_SCHEMES):
        reason = f"{url} gives no repository URL kodos can use ({repository!r})"
        raise StepFailed(CONFIGURE_STEP, [change.address], reason)
    keyring = os.path.join(scratch, "repo", f"{change.name}.trustedkeys.gpg")
    return repository, keyring if os.path.isfile(keyring) else None


def _config_text(target: Path) -> str:
    return read_text_in_root(target, REPO_CONFIG)


def _mark(target: Path, name: str, keys: Mapping[str, str | None]) -> None:
    """Set (or, for None, drop) kodos's keys in the remote's section of repo/config."""
    text = with_keys(_config_text(target), name, keys)
    host = Path(checked_in_root(target, REPO_CONFIG))
    mode = os.stat(host).st_mode & 0o7777
    write_bytes_atomic(host, text.encode("utf-8"), mode=mode)


def with_keys(text: str, remote: str, keys: Mapping[str, str | None]) -> str:
    """`text` (an ostree repository config) with `keys` set in `[remote "REMOTE"]`, right
    after its header, or dropped where None; every other line stays."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            inside = remote_of_section(stripped[1:-1]) == remote
            out.append(line)
            if inside:
                out += [f"{k}={escape_value(v)}" for k, v in keys.items() if v is not None]
            continue
        if inside and stripped.partition("=")[0].strip() in keys:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def escape_value(value: str) -> str:
    """A value as a GLib key file holds it (`providers.flatpak.unescape_value` reverses it)."""
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    escaped = escaped.replace("\r", "\\r")
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped
