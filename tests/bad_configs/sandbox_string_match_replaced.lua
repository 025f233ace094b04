-- expect: error: tests/bad_configs/sandbox_string_match_replaced.lua:5: require: invalid module name /etc/os-release (use letters, digits, '_' and '-', with '.' between directory parts)
-- A configuration's own string.match cannot widen the module-name rule.
string.match = function() return "ok" end
string.find = function() return nil end
local release = require("/etc/os-release")
return release
