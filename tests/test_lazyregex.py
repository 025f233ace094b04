"""kodos.text.lazyregex: a pattern compiled on first use behaves as the compiled one."""

from __future__ import annotations

import re

from kodos.text.lazyregex import lazy


def test_a_lazy_pattern_compiles_on_first_use_and_matches_as_re_does() -> None:
    pattern = lazy(r"^(?P<key>\w+)\s*=\s*(?P<value>.*)$", re.MULTILINE)
    assert object.__getattribute__(pattern, "_compiled") is None  # nothing compiled yet
    text = "a = 1\nnot a setting\nb= two\n"
    assert [m.group("key", "value") for m in pattern.finditer(text)] == [
        ("a", "1"),
        ("b", "two"),
    ]
    assert pattern.fullmatch("c = 3") is not None
    assert pattern.match("- = 3") is None
    assert pattern.sub(r"\g<key>:", "d = 4") == "d:"
    assert pattern.flags & re.MULTILINE
    assert object.__getattribute__(pattern, "_compiled") is re.compile(pattern.pattern, re.M)


def test_a_bytes_pattern_matches_bytes() -> None:
    pattern = lazy(rb"^usr/lib/systemd/(system|user)/([^/\n]+)$", re.MULTILINE)
    listing = b"usr/bin/sshd\nusr/lib/systemd/system/sshd.service\n"
    assert pattern.findall(listing) == [(b"system", b"sshd.service")]
