-- expect: error: repos.arch: missing key 'mirror'
-- expect: error: repos.arch.mirrors: unknown key; did you mean 'mirror'?
return {
    repos = {
        arch = { type = "arch", mirrors = "https://geo.mirror.pkgbuild.com" },
    },
}
