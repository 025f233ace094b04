-- expect: error: tests/bad_configs/repos_aur_bad_aur_url.lua:5: repos.aur_repo: aur_url must be a URL like "https://aur.archlinux.org" or file:///srv/aur, got "aur.archlinux.org"
local repos = require("repos")
return {
    repos = {
        aur = repos.aur_repo("yay", nil, { aur_url = "aur.archlinux.org" }),
    },
}
