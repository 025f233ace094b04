-- expect: error: repos.arch: missing key 'type'; use repos.arch_repo(...), repos.aur_repo(...) or repos.flatpak_repo(...)
-- A repository written by hand, without the helper that sets `type`.
return {
    repos = {
        arch = { mirror = "https://geo.mirror.pkgbuild.com" },
    },
}
