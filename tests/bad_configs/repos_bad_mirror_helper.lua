-- expect: error: tests/bad_configs/repos_bad_mirror_helper.lua:5: repos.arch_repo: mirror must be a URL like "https://geo.mirror.pkgbuild.com", got "geo.mirror.pkgbuild.com"
local repos = require("repos")
return {
    repos = {
        arch = repos.arch_repo("geo.mirror.pkgbuild.com"),
    },
}
