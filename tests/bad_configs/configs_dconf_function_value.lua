-- expect: error: tests/bad_configs/configs_dconf_function_value.lua:3: configs.dconf: org/gnome/mutter/dynamic-workspaces must be a string, number, boolean or list, got a function
local configs = require("configs")
local dconf = configs.dconf({ ["org/gnome/mutter"] = { dynamic_workspaces = print } })
return { users = { ada = { programs = { dconf = { enable = true, config = dconf } } } } }
