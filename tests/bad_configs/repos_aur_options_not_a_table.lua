-- expect: error: tests/bad_configs/repos_aur_options_not_a_table.lua:5: repos.aur_repo: the third argument must be a table like { aur_url = "https://aur.archlinux.org" }, got "file:///srv/aur"
local repos = require("repos")
return {
    repos = {
        aur = repos.aur_repo("yay", "https://aur.archlinux.org/yay-bin.git", "file:///srv/aur"),
    },
}
