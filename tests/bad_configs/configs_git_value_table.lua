-- expect: error: tests/bad_configs/configs_git_value_table.lua:3: configs.git: core_editor must be a string, boolean or number, got a table
local configs = require("configs")
local git = configs.git({ core_editor = { "nvim" } })
return { users = { ada = { programs = { git = { enable = true, config = git } } } } }
