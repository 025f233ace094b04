"""`configs.dconf(...)`: Lua values typed as GVariant, written and read with the real dconf."""

from __future__ import annotations

import subprocess

import pytest

from kodos.errors import ConfigError
from kodos.home.programs import dconf, gvariant, render
from tests.support.home import Home, user_from_lua
from tests.support.tools import require_tools

pytestmark = pytest.mark.system

AWKWARD_STRINGS = [
    "prefer-dark",
    "",
    "it's",
    'say "hi"',
    'it\'s "both"',
    "back\\slash",
    "tab\there\nnewline\rcr",
    "bell\a\b\f\v",
    "\x01\x7f\u200b\u00a0é☃",
    "\U0001f600 emoji",
    "<Control><Alt>t",
]

TYPED = {
    "bool-true": True,
    "bool-false": False,
    "int": 4,
    "negative": -2147483648,
    "double": 0.8,
    "whole-double": 4.0,
    "tiny": 1e-300,
    "huge": 1.5e300,
    "negative-zero": -0.0,
    "strings": ["Workspace 1", "it's"],
    "empty-list": [],
    "bools": [True, False],
    "ints": [1, -2],
    "doubles": [0.5, 2.0],
    "mixed-numbers": [1, 2.5],
}


def _tools() -> None:
    require_tools("dconf", "dbus-run-session")


def test_plain_values_print_as_dconf_prints_them(private_home: Home) -> None:
    """What kodos plans for each value is exactly what dconf reads back after writing it."""
    _tools()
    values = {f"/kodos/test/s{i}": gvariant.string(text) for i, text in enumerate(AWKWARD_STRINGS)}
    values |= {f"/kodos/test/{key}": gvariant.plain_value(v) for key, v in TYPED.items()}
    dconf.apply(values, [])
    assert dconf.read(values) == values
    # And the strings are the strings: dconf's own reading of one of them.
    shown = subprocess.run(
        ["dconf", "read", "/kodos/test/s2"], capture_output=True, text=True, check=True
    ).stdout
    assert shown == '"it\'s"\n'


def test_apply_sets_and_resets_only_what_it_is_told(private_home: Home) -> None:
    _tools()
    dconf.apply({"/other/app/kept": "'mine'", "/org/x/a": "1", "/org/x/b": "2"}, [])
    dconf.apply({"/org/x/a": "10", "/org/y/c": "true"}, ["/org/x/b"])
    assert dconf.read(["/org/x/a", "/org/x/b", "/org/y/c", "/other/app/kept"]) == {
        "/org/x/a": "10",
        "/org/x/b": None,
        "/org/y/c": "true",
        "/other/app/kept": "'mine'",
    }


def test_read_needs_no_session(private_home: Home) -> None:
    _tools()
    assert dconf.read(["/org/none"]) == {"/org/none": None}


def test_upstream_forms(private_home: Home) -> None:
    """Upstream's gnome.lua shapes: schema ids with dots, `_` keys, relocatable paths, raw
    GVariant text (uint32 inside variants), lists of strings."""
    _tools()
    user = user_from_lua(
        private_home.config_dir,
        """{ ada = { programs = { dconf = { enable = true, config = configs.dconf({
            ["org.gnome.shell.weather"] = {
                locations = '[<(uint32 2, <("Edmonton", "CYED", true, [(0.93666003772138751, -1.9803669304139968)], [(0.93462381444296339, -1.9809487010135638)])>)>]',
            },
            ["org/gnome/mutter"] = { dynamic_workspaces = false, experimental_features = { 'scale-monitor-framebuffer' } },
            ["org/gnome/desktop/wm/preferences"] = { num_workspaces = 4, focus_mode = "sloppy" },
            ["org/gnome/shell/extensions/dash-to-dock"] = { background_opacity = 0.8, dash_max_icon_size = "uint32 32" },
            ["org/gnome/settings-daemon/plugins/media-keys"] = {
                custom_keybinding = {
                    ['/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/'] = {
                        binding = '<Control><Alt>t', command = "kgx", name = "Terminal",
                    },
                },
            },
        }) } } } }""",
    )
    wanted = render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    keys = {key.key: key.value for key in wanted.dconf}
    custom = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"
    assert keys == {
        "/org/gnome/shell/weather/locations": "[<(uint32 2, <('Edmonton', 'CYED', true, "
        "[(0.93666003772138751, -1.9803669304139968)], [(0.93462381444296339, "
        "-1.9809487010135638)])>)>]",
        "/org/gnome/mutter/dynamic-workspaces": "false",
        "/org/gnome/mutter/experimental-features": "['scale-monitor-framebuffer']",
        "/org/gnome/desktop/wm/preferences/num-workspaces": "4",
        "/org/gnome/desktop/wm/preferences/focus-mode": "'sloppy'",
        "/org/gnome/shell/extensions/dash-to-dock/background-opacity": "0.80000000000000004",
        "/org/gnome/shell/extensions/dash-to-dock/dash-max-icon-size": "uint32 32",
        custom + "binding": "'<Control><Alt>t'",
        custom + "command": "'kgx'",
        custom + "name": "'Terminal'",
    }
    sources = {key.key: key.source for key in wanted.dconf}
    # The model normalized the relocatable form: the key is located at its own directory.
    assert sources[custom + "name"] == (
        'users.ada.programs.dconf.config["org/gnome/settings-daemon/plugins/media-keys/'
        'custom-keybindings/custom0"].name'
    )
    dconf.apply(keys, [])
    assert dconf.read(keys) == keys


def test_bad_values_are_located(private_home: Home) -> None:
    _tools()
    user = user_from_lua(
        private_home.config_dir,
        """{ ada = { programs = { dconf = { enable = true, config = configs.dconf({
            ["org/x"] = { big = 3000000000, bad_text = "[1, 'a']", ok = "@s '[fine]'" },
        }) } } } }""",
    )
    with pytest.raises(ConfigError) as caught:
        render(user, "ada", private_home.path, private_home.config_dir, private_home.cache_dir)
    at = 'users.ada.programs.dconf.config["org/x"]'
    assert [str(p) for p in caught.value.problems] == [
        f"{at}.big: 3000000000 does not fit an int32; write another type as GVariant text, "
        'e.g. "int64 3000000000" or "uint32 3000000000"',
        f'{at}["bad-text"]: "[1, \'a\']" is not valid GVariant text '
        "(1-2,4-7: unable to find a common type)",
    ]
    assert caught.value.problems[1].hint == (
        "a string starting with @ [ ( { or a type keyword is read as GVariant text; "
        "write a plain string that starts so as \"@s '...'\""
    )


def test_keyfile_groups_keys_by_directory() -> None:
    assert dconf.keyfile({"/a/b/k": "1", "/a/b/l": "'x'", "/c/m": "true", "/top": "2"}) == (
        "[/]\ntop=2\n\n[a/b]\nk=1\nl='x'\n\n[c]\nm=true\n\n"
    )
