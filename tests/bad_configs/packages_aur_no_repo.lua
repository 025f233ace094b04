-- expect: error: packages[2]: aur:yay-bin needs an AUR repository: add one to repos with repos.aur_repo(...)
local repos = require("repos")
return {
    repos = { arch = repos.arch_repo("https://geo.mirror.pkgbuild.com") },
    packages = { "git", "aur:yay-bin" },
}
