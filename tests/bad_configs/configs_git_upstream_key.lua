-- expect: error: tests/bad_configs/configs_git_upstream_key.lua:3: configs.git: "name" is not a git key written section_name, such as user_name for user.name or init_defaultBranch for init.defaultBranch
local configs = require("configs")
local git = configs.git({ user_name = "Ada", name = "Ada" })
return { users = { ada = { programs = { git = { enable = true, config = git } } } } }
