-- expect: error: tests/bad_configs/configs_mount_flat_unknown.lua:3: configs.mount: unknown option "automout" (known: enable, name, type, what, where, description, options, after, wanted_by, automount, automount_config)
local configs = require("configs")
local data = configs.mount({
    name = "mnt-data", type = "cifs", what = "//nas/share", where = "/mnt/data", automout = true,
})
return { services = { nas = { enable = true, services = { data = data } } } }
