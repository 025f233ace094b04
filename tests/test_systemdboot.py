"""systemd-boot's file formats (kodos/systemd/boot.py): entry file names with and without boot
counting, `key value` lines, and rewriting keys in loader.conf. Pure text, one table a rule;
the real systemd-boot reads what kodos writes in tests/test_generations.py (bootctl list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.systemd.boot import entry_files, entry_id, key_value_pairs, key_values, rewrite_keys


@pytest.mark.parametrize(
    ("file_name", "entry"),
    [
        ("kodos-3.conf", "kodos-3"),
        ("kodos-3+3.conf", "kodos-3"),  # boot counting: three tries left
        ("kodos-3+0-3.conf", "kodos-3"),  # no try left, three done
        ("kodos-3+12-100.conf", "kodos-3"),
        ("arch.conf", "arch"),
        ("memtest86+.conf", "memtest86+"),  # a `+` not followed by a count is the name's
        ("memtest86+2.conf", "memtest86"),  # … and one followed by a count is a counter
        ("a+1+2.conf", "a+1"),  # only the last suffix counts
        ("a+1-2-3.conf", "a+1-2-3"),  # not LEFT-DONE: all name
        ("a+x.conf", "a+x"),
        ("+1.conf", "+1"),  # the name is never empty
        ("a.conf.conf", "a.conf"),
        (".hidden.conf", None),  # systemd-boot skips hidden files
        ("kodos-3", None),  # no .conf
        ("kodos-3.conf~", None),
        ("kodos-3.CONF", None),
        (".conf", None),
        ("+3.conf", "+3"),
    ],
)
def test_entry_id_strips_the_boot_counting_suffix(file_name: str, entry: str | None) -> None:
    assert entry_id(file_name) == entry


def test_entry_files_finds_every_counted_name_of_one_entry(tmp_path: Path) -> None:
    names = ["kodos-3+2-1.conf", "kodos-3.conf", "kodos-30.conf", "kodos-3+x.conf", "arch.conf"]
    for name in names:
        (tmp_path / name).write_text("title x\n")

    assert [p.name for p in entry_files(tmp_path, "kodos-3")] == [
        "kodos-3+2-1.conf",
        "kodos-3.conf",
    ]
    assert entry_files(tmp_path, "windows") == []
    assert entry_files(tmp_path / "missing", "kodos-3") == []


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("timeout 3\neditor no\n", [("timeout", "3"), ("editor", "no")]),
        ("timeout 3", [("timeout", "3")]),  # no trailing newline
        ("timeout 3\r\neditor no\r\n", [("timeout", "3"), ("editor", "no")]),  # CRLF
        ("  timeout\t\t3  \n", [("timeout", "3")]),  # any whitespace around and between
        ("options a=1  b=2\n", [("options", "a=1  b=2")]),  # the value is the rest of the line
        ("# timeout 3\n\n   \n  #editor no\n", []),  # comments and blank lines
        ("editor\ntimeout 3\n", [("timeout", "3")]),  # a key alone is ignored, as in systemd-boot
        ("title Arch # not a comment\n", [("title", "Arch # not a comment")]),
        ("", []),
    ],
)
def test_key_value_lines(text: str, pairs: list[tuple[str, str]]) -> None:
    assert key_value_pairs(text) == pairs


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("timeout 3\ntimeout 5\n", {"timeout": ["3", "5"]}),  # a duplicated key: every value
        (
            "initrd /a\nlinux /k\ninitrd /b\noptions rw\noptions quiet",
            {"initrd": ["/a", "/b"], "linux": ["/k"], "options": ["rw", "quiet"]},
        ),
        ("default kodos-1.conf\r\n# default kodos-2.conf\r\n", {"default": ["kodos-1.conf"]}),
    ],
)
def test_key_values_keep_every_value_in_order(text: str, fields: dict[str, list[str]]) -> None:
    assert key_values(text) == fields


@pytest.mark.parametrize(
    ("text", "settings", "removed", "rewritten"),
    [
        # the key's first line is set in place, comments and other keys stay, a later line goes
        (
            "# comment\ntimeout 3\ndefault kodos-4.conf\neditor no\ntimeout 9\n",
            {"timeout": "5"},
            frozenset(),
            "# comment\ntimeout 5\ndefault kodos-4.conf\neditor no\n",
        ),
        # removing a key takes every line of it, nothing else
        (
            "# comment\ntimeout 3\ndefault kodos-4.conf\neditor no\ntimeout 9\n",
            {},
            frozenset({"timeout"}),
            "# comment\ndefault kodos-4.conf\neditor no\n",
        ),
        # a commented-out key is a comment: kept, and the key is appended
        (
            "#default arch.conf\ntimeout 3\n",
            {"default": "kodos-2.conf"},
            frozenset(),
            "#default arch.conf\ntimeout 3\ndefault kodos-2.conf\n",
        ),
        # no file yet
        ("", {"timeout": "5"}, frozenset(), "timeout 5\n"),
        ("", {}, frozenset({"timeout"}), ""),
        # a missing trailing newline is added
        (
            "editor no\ndefault arch.conf",
            {"default": "kodos-1.conf"},
            frozenset(),
            "editor no\ndefault kodos-1.conf\n",
        ),
        # CRLF lines are read, and written back with LF
        (
            "timeout 3\r\n# keep\r\neditor no\r\n",
            {"timeout": "0"},
            frozenset(),
            "timeout 0\n# keep\neditor no\n",
        ),
        # duplicated keys, several set at once: each in place of its first line
        (
            "default a.conf\ntimeout 1\ndefault b.conf\ntimeout 2\n",
            {"timeout": "4", "default": "kodos-7.conf"},
            frozenset(),
            "default kodos-7.conf\ntimeout 4\n",
        ),
        # a key alone (no value) is still that key's line: replaced or removed
        ("timeout\neditor no\n", {"timeout": "3"}, frozenset(), "timeout 3\neditor no\n"),
        ("timeout\neditor no\n", {}, frozenset({"timeout"}), "editor no\n"),
        # other lines stay as they are, whitespace and all
        ("  editor   no  \n\n", {"timeout": "3"}, frozenset(), "  editor   no  \n\ntimeout 3\n"),
        # an indented key is that key
        ("   timeout 3\n", {"timeout": "4"}, frozenset(), "timeout 4\n"),
    ],
)
def test_rewrite_keys(
    text: str, settings: dict[str, str], removed: frozenset[str], rewritten: str
) -> None:
    assert rewrite_keys(text, settings, removed) == rewritten
