-- expect: error: services.nas.services.data.name: a mount unit is named after its mount point: /mnt/data needs the name 'mnt-data', not 'mnt-nas' (systemd ignores a unit named otherwise)
local configs = require("configs")
return {
    services = {
        nas = {
            enable = true,
            services = {
                data = configs.mount({
                    name = "mnt-nas", type = "cifs", what = "//nas/share", where = "/mnt/data",
                }),
            },
        },
    },
}
