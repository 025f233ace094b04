-- expect: error: tests/bad_configs/configs_mount_helper.lua:4: configs.mount: mounts.nas.where must be an absolute path like "/mnt/nas", got "mnt/nas"
local configs = require("configs")
local mounts =
    configs.mount({ nas = { type = "nfs", what = "nas:/srv", where = "mnt/nas" } })
return { services = { nas = { enable = true, package = "nfs-utils", mount = mounts } } }
