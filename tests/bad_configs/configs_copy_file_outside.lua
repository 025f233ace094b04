-- expect: error: tests/bad_configs/configs_copy_file_outside.lua:3: copy_file: "files/../../bashrc" leaves the configuration directory (a .. part)
local configs = require("configs")
return { users = { ada = { files = { ["~/.bashrc"] = copy_file("files/../../bashrc") } } } }
