-- expect: error: tests/bad_configs/configs_dconf_relocatable_path.lua:3: configs.dconf: org/gnome/settings-daemon/plugins/media-keys/custom-keybinding: a relocatable entry is keyed by a dconf path like "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/", got "custom0"
local configs = require("configs")
local dconf = configs.dconf({
    ["org/gnome/settings-daemon/plugins/media-keys"] = {
        custom_keybinding = { custom0 = { name = "Terminal" } },
    },
})
return { users = { ada = { programs = { dconf = { enable = true, config = dconf } } } } }
