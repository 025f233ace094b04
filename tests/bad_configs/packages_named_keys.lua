-- expect: error: packages: expected a list, got a table with named keys
return {
    packages = { git = true, htop = true },
}
