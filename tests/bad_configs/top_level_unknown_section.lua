-- expect: error: pakages: unknown key; did you mean 'packages'?
return {
    pakages = { "git" },
}
