-- expect: error: tests/bad_configs/configs_git_not_a_table.lua:3: configs.git: expects a table like { user_name = "Ada", user_email = "ada@example.org" }, got "Alice <alice@example.org>"
local configs = require("configs")
local git = configs.git("Alice <alice@example.org>")
return { users = { alice = { programs = { git = { enable = true, config = git } } } } }
