-- expect: error: packages[2]: a string that is not valid UTF-8
return {
    packages = { "git", "caf\xe9" },
}
