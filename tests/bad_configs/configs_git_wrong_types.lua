-- expect: error: tests/bad_configs/configs_git_wrong_types.lua:9: configs.git: user_name must be a non-empty string, got 42
local configs = require("configs")
return {
    users = {
        alice = {
            programs = {
                git = {
                    enable = true,
                    config = configs.git({ user_name = 42, user_email = "alice@example.org" }),
                },
            },
        },
    },
}
