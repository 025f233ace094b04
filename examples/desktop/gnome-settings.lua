-- GNOME settings for alice, as dconf path -> key -> value. Values may be
-- strings, numbers, booleans or lists of strings. Grouped by topic and
-- merged with `..` (each group is a `map`).

local appearance = map{
  ["org/gnome/desktop/interface"] = {
    ["color-scheme"] = "prefer-dark",
    ["clock-show-weekday"] = true,
    ["text-scaling-factor"] = 1.1,
  },
  ["org/gnome/desktop/wm/preferences"] = {
    ["button-layout"] = "appmenu:minimize,maximize,close",
    ["num-workspaces"] = 4,
  },
  ["org/gnome/mutter"] = {
    ["dynamic-workspaces"] = false,
  },
}

local input = map{
  ["org/gnome/desktop/peripherals/touchpad"] = {
    ["tap-to-click"] = true,
    ["natural-scroll"] = true,
  },
  ["org/gnome/desktop/input-sources"] = {
    ["xkb-options"] = { "caps:escape", "compose:ralt" },
  },
}

local shell = map{
  ["org/gnome/shell"] = {
    ["favorite-apps"] = {
      "org.gnome.Nautilus.desktop",
      "org.gnome.Console.desktop",
      "firefox.desktop",
      "code.desktop",
    },
  },
}

return appearance .. input .. shell
