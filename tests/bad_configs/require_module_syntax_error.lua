-- expect: error: tests/bad_configs/modules/broken.lua:3: unexpected symbol near '='
-- An error in a required module is located in that module.
local broken = require("modules.broken")
return { packages = broken.packages }
