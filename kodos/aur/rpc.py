"""The AUR's RPC (`/rpc/v5/info`): which package base each package name belongs to.

One GET per `BATCH` names, `arg[]=NAME` each; the answer is checked before use: a JSON object
with `type` "multiinfo" and a `results` list whose entries hold string `Name` and
`PackageBase`. An `error` answer, a network failure or a malformed document raises `AurError`
naming the URL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from kodos.aur.errors import AurError
from kodos.aur.names import checked_name

PATH = "/rpc/v5/info"
BATCH = 100
"""Names a request carries; the AUR accepts a URL of a few kB."""
TIMEOUT_SECONDS = 30
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def rpc_bases(aur_url: str, names: Sequence[str]) -> dict[str, str]:
    """Package name → package base for each of `names` the AUR knows (others are absent)."""
    found: dict[str, str] = {}
    for start in range(0, len(names), BATCH):
        found.update(_info(aur_url, names[start : start + BATCH]))
    return found


def _info(aur_url: str, names: Sequence[str]) -> dict[str, str]:
    # urllib.request (with http.client and email) costs some 20 ms to import: only a plan
    # that asks the AUR pays it, not every plan that imports kodos.aur.source.
    import urllib.error
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode([("arg[]", name) for name in names])
    url = f"{aur_url.rstrip('/')}{PATH}?{query}"
    request = urllib.request.Request(url, headers={"User-Agent": "kodos"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as err:
        raise AurError(f"the AUR RPC at {aur_url} answered HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise AurError(f"cannot reach the AUR RPC at {aur_url}: {reason}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise AurError(f"the AUR RPC at {aur_url} answered more than {MAX_ANSWER_BYTES} bytes")
    return _results(aur_url, body)


def _results(aur_url: str, body: bytes) -> dict[str, str]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AurError(f"the AUR RPC at {aur_url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise AurError(
            f"the AUR RPC at {aur_url} answered {type(document).__name__}, not an object"
        )
    if document.get("type") == "error":
        raise AurError(f"the AUR RPC at {aur_url} refused: {document.get('error')}")
    results = document.get("results")
    if document.get("type") != "multiinfo" or not isinstance(results, list):
        raise AurError(f"the AUR RPC at {aur_url} answered no multiinfo results")
    found = {}
    for entry in results:
        name = entry.get("Name") if isinstance(entry, dict) else None
        base = entry.get("PackageBase") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(base, str):
            raise AurError(f"the AUR RPC at {aur_url} answered a result without Name/PackageBase")
        found[checked_name(name)] = checked_name(base, "package base")
    return found
