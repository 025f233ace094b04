-- expect: error: tests/bad_configs/sandbox_require_dotdot.lua:3: require: invalid module name ../shared (use letters, digits, '_' and '-', with '.' between directory parts)
-- A module name may not climb out of the configuration's directory.
local shared = require("../shared")
return shared
