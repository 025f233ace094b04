-- expect: error: packages: a list with a hole: item 2 is nil
return {
    packages = { "git", nil, "htop" },
}
