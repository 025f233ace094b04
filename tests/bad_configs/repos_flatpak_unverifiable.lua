-- expect: error: repos.flatpak: a repository URL brings no GPG key to verify the remote with; give its .flatpakrepo URL, or {gpg_verify = false} for an unsigned repository
local repos = require("repos")
return {
    repos = {
        flatpak = repos.flatpak_repo("mine", "https://flatpak.example.org/repo/"),
    },
}
