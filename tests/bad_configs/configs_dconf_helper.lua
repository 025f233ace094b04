-- expect: error: tests/bad_configs/configs_dconf_helper.lua:3: configs.dconf: org/gnome/desktop/interface/color-scheme: a list holds items of one kind, not a string and a number
local configs = require("configs")
local gnome = configs.dconf({
    ["org/gnome/desktop/interface"] = { ["color-scheme"] = { "prefer-dark", 2 } },
})
return { users = { alice = { programs = { dconf = { enable = true, config = gnome } } } } }
