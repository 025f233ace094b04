-- expect: error: tests/bad_configs/configs_mount_flat_enable.lua:3: configs.mount: enable must be true or false, got "yes"
local configs = require("configs")
local data = configs.mount({
    enable = "yes", name = "mnt-data", type = "cifs", what = "//nas/share", where = "/mnt/data",
})
return { services = { nas = { enable = true, services = { data = data } } } }
