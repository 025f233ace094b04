-- expect: error: tests/bad_configs/configs_mount_flat_name.lua:3: configs.mount: name must be the unit's name, the mount point escaped like "mnt-data" for /mnt/data, got "mnt data"
local configs = require("configs")
local data = configs.mount({ name = "mnt data", type = "cifs", what = "//nas/share", where = "/mnt/data" })
return { services = { nas = { enable = true, services = { data = data } } } }
