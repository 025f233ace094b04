-- expect: error: tests/bad_configs/configs_dconf_set_twice.lua:3: configs.dconf: org/gnome/mutter/dynamic-workspaces is set twice (as "org/gnome/mutter" and another spelling)
local configs = require("configs")
local dconf = configs.dconf({
    ["org/gnome/mutter"] = { dynamic_workspaces = false },
    ["org.gnome.mutter"] = { ["dynamic-workspaces"] = true },
})
return { users = { ada = { programs = { dconf = { enable = true, config = dconf } } } } }
