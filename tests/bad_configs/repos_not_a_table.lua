-- expect: error: repos.arch: expected a table, got a string
return {
    repos = { arch = "https://geo.mirror.pkgbuild.com" },
}
