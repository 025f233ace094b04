-- expect: error: repos.snap: unknown type 'snap'; expected one of 'arch', 'aur', 'flatpak'
return {
    repos = {
        snap = { type = "snap", url = "https://snapcraft.io" },
    },
}
