-- GNOME settings for alice, as dconf path -> key -> value, written as upstream
-- KodOS writes them: `_` in a key is `-` (color_scheme is color-scheme), a
-- schema id (org.gnome.mutter) names the same place as its path. Values may be
-- strings, integers, floats, booleans or lists of one of these. Grouped by topic
-- and merged with `..` (each group is a `map`).

local appearance = map{
  ["org/gnome/desktop/interface"] = {
    color_scheme = "prefer-dark",
    clock_show_weekday = true,
    text_scaling_factor = 1.1,
  },
  ["org/gnome/desktop/wm/preferences"] = {
    button_layout = "appmenu:minimize,maximize,close",
    num_workspaces = 4,
  },
  ["org.gnome.mutter"] = {
    dynamic_workspaces = false,
  },
}

local input = map{
  ["org/gnome/desktop/peripherals/touchpad"] = {
    tap_to_click = true,
    natural_scroll = true,
  },
  ["org/gnome/desktop/input-sources"] = {
    xkb_options = { "caps:escape", "compose:ralt" },
  },
  -- A relocatable schema: the keys of the custom keybinding at the path given.
  -- (GNOME lists its custom keybindings in custom-keybindings, set here too.)
  ["org/gnome/settings-daemon/plugins/media-keys"] = {
    custom_keybindings = { "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/" },
    custom_keybinding = {
      ["/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"] = {
        binding = "<Control><Alt>t",
        command = "kgx",
        name = "Terminal",
      },
    },
  },
}

local shell = map{
  ["org/gnome/shell"] = {
    favorite_apps = {
      "org.gnome.Nautilus.desktop",
      "org.gnome.Console.desktop",
      "firefox.desktop",
      "code.desktop",
    },
  },
}

return appearance .. input .. shell
