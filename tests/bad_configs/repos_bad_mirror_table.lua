-- expect: error: repos.arch.mirror: "geo.mirror.pkgbuild.com" is not a valid URL: an http(s)://, ftp:// or file:// URL
return {
    repos = {
        arch = { type = "arch", mirror = "geo.mirror.pkgbuild.com" },
    },
}
