-- expect: error: users["demo-user"].shell: "zsh" is not a valid absolute path: it must start with /
-- expect: error: users["demo-user"].extra_groups: expected a list, got a string
return {
    users = {
        ["demo-user"] = {
            shell = "zsh",
            extra_groups = "wheel",
        },
    },
}
