-- expect: error: packages: table keys must be names or list positions, not the number 1.5
return {
    packages = { [1] = "git", [1.5] = "htop" },
}
