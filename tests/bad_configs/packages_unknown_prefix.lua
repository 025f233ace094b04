-- expect: error: packages[1]: unknown package source "snap" in "snap:foo"; use aur:NAME, flatpak:APP.ID or a plain Arch package name
return {
    packages = { "snap:foo" },
}
