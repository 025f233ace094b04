-- expect: error: tests/bad_configs/configs_copy_file_absolute.lua:3: copy_file: expects a file of the configuration directory, relative to it, like "files/background.jpg", got "/etc/shadow"
local configs = require("configs")
return { users = { ada = { files = { ["~/.shadow"] = configs.copy_file("/etc/shadow") } } } }
