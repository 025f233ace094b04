-- expect: error: tests/bad_configs/configs_git_set_twice.lua:3: configs.git: init.defaultBranch is set twice with different values (once in extra)
local configs = require("configs")
local git = configs.git({
    init_defaultBranch = "main",
    extra = { ["init.defaultBranch"] = "trunk" },
})
return { users = { ada = { programs = { git = { enable = true, config = git } } } } }
