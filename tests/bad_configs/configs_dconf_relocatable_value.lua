-- expect: error: tests/bad_configs/configs_dconf_relocatable_value.lua:3: configs.dconf: org/gnome/settings-daemon/plugins/media-keys/custom-keybinding["/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"].binding must be a string, number or boolean, got a table
local configs = require("configs")
local dconf = configs.dconf({
    ["org/gnome/settings-daemon/plugins/media-keys"] = {
        custom_keybinding = {
            ["/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"] = {
                binding = { "<Control><Alt>t" },
            },
        },
    },
})
return { users = { ada = { programs = { dconf = { enable = true, config = dconf } } } } }
