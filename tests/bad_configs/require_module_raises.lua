-- expect: error: tests/bad_configs/modules/raises.lua:3: modules/raises.lua refuses to load: set MACHINE first
local settings = require("modules.raises")
return settings
