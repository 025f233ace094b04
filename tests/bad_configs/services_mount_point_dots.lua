-- expect: error: services.disks.mount.mounts.a.where: a mount point must be a directory below /, without . or .. parts
-- expect: error: services.disks.mount.mounts.b.where: a mount point must be a directory below /, without . or .. parts
-- expect: error: services.disks.mount.mounts.c.where: a mount point must be a directory below /, without . or .. parts
-- expect: error: services.disks.mount.mounts.d.where: a mount point must be a directory below /, without . or .. parts
local configs = require("configs")
local function at(where)
    return { type = "ext4", what = "/dev/disk/by-label/data", where = where }
end
return {
    services = {
        disks = {
            enable = true,
            mount = configs.mount({
                a = at("/mnt/../etc"),
                b = at("/"),
                c = at("/mnt/./x"),
                d = at("//"),
                e = at("/mnt//fine/"),
            }),
        },
    },
}
