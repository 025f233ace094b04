-- expect: error: services.nas.mount.mounts.nas.where: "mnt/nas" is not a valid absolute path: it must start with /
return {
    services = {
        nas = {
            enable = true,
            package = "nfs-utils",
            mount = {
                type = "mount",
                mounts = { nas = { type = "nfs", what = "nas:/srv", where = "mnt/nas" } },
            },
        },
    },
}
