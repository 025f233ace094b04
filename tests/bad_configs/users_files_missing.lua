-- expect: error: users.ada.files["~/.config/background"].source: "no-such-file.jpg" is not a file in the configuration directory
local configs = require("configs")
return { users = { ada = { files = { ["~/.config/background"] = copy_file("no-such-file.jpg") } } } }
