-- expect: error: services.disks.mount.mounts.data.what: a value must fit on one line
-- expect: error: services.disks.mount.mounts.data.description: a value must not end with a backslash (it would continue on the next line)
-- expect: error: services.disks.mount.mounts.data.options: a value must fit on one line
-- expect: error: services.disks.mount.mounts.data.automount_config: '[Install]' is not an automount setting such as TimeoutIdleSec=600
local configs = require("configs")
return {
    services = {
        disks = {
            enable = true,
            mount = configs.mount({
                data = {
                    type = "ext4",
                    what = "/dev/sdb1\nExecStart=/bin/sh",
                    where = "/mnt/data",
                    description = "data \\",
                    options = "ro\u{85}x",
                    automount = true,
                    automount_config = "TimeoutIdleSec=60\n[Install]",
                },
            }),
        },
    },
}
