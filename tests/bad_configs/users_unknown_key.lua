-- expect: error: users["demo-user"].shel: unknown key; did you mean 'shell'?
return {
    users = {
        ["demo-user"] = { shel = "/bin/zsh" },
    },
}
