-- expect: error: packages[1]: "flatpak:spotify" is not a valid package name: a Flatpak application ID such as com.visualstudio.code
local repos = require("repos")
return {
    repos = { flatpak = repos.flatpak_repo("flathub") },
    packages = { "flatpak:spotify" },
}
