-- expect: error: packages: a table mixes list items with named keys; use one or the other
return {
    packages = { "git", "htop", extra = "vim" },
}
