-- expect: error: tests/bad_configs/repos_flatpak_unknown_option.lua:5: repos.flatpak_repo: unknown option "gpg_verfiy" (known: gpg_verify)
local repos = require("repos")
return {
    repos = {
        flatpak = repos.flatpak_repo("mine", "file:///srv/repo", { gpg_verfiy = false }),
    },
}
