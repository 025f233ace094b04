-- expect: error: repos.aur.aur_url: "/srv/aur" is not a valid URL: an http(s)://, ftp:// or file:// URL
return {
    repos = {
        aur = { type = "aur", helper = "yay", aur_url = "/srv/aur" },
    },
}
