-- expect: error: repos.flatpak: kodos knows no URL for the Flatpak remote 'fedora'; give its .flatpakrepo URL: repos.flatpak_repo('fedora', URL)
local repos = require("repos")
return {
    repos = {
        flatpak = repos.flatpak_repo("fedora"),
    },
}
