-- expect: error: tests/bad_configs/repos_flatpak_bad_option.lua:5: repos.flatpak_repo: gpg_verify must be true or false, got "no"
local repos = require("repos")
return {
    repos = {
        flatpak = repos.flatpak_repo("mine", "file:///srv/repo", { gpg_verify = "no" }),
    },
}
