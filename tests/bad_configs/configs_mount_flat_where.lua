-- expect: error: tests/bad_configs/configs_mount_flat_where.lua:3: configs.mount: where must be an absolute path like "/mnt/nas", got "mnt/data"
local configs = require("configs")
local data = configs.mount({ name = "mnt-data", type = "cifs", what = "//nas/share", where = "mnt/data" })
return { services = { nas = { enable = true, services = { data = data } } } }
