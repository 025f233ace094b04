-- expect: error: repos.flatpak.remote: "-flathub" is not a valid Flatpak remote name: letters, digits and _.- only, not starting with . or -, e.g. flathub
-- expect: error: repos.local.url: "ftp://example.org/repo" is not a valid Flatpak remote URL: an http(s):// or file:// URL of a repository or of its .flatpakrepo file
return {
    repos = {
        flatpak = { type = "flatpak", remote = "-flathub" },
        ["local"] = { type = "flatpak", remote = "local", url = "ftp://example.org/repo", gpg_verify = false },
    },
}
