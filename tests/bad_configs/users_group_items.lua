-- expect: error: users.alice.extra_groups[2]: expected a string, got a number
-- expect: error: users.alice.deploy_configs[1]: "nvim config" is not a valid name: letters, digits and _.@+- only
return {
    users = {
        alice = { extra_groups = { "wheel", 5 }, deploy_configs = { "nvim config" } },
    },
}
