-- expect: error: tests/bad_configs/repos_aur_unknown_option.lua:5: repos.aur_repo: unknown option "url"; the one option is aur_url
local repos = require("repos")
return {
    repos = {
        aur = repos.aur_repo("yay", nil, { url = "https://aur.archlinux.org" }),
    },
}
