-- expect: error: tests/bad_configs/sandbox_string_metatable.lua:3: attempt to index a boolean value
-- The string metatable is hidden: getmetatable("") is false, so it cannot be modified.
getmetatable("").__index.upper = function() return "pwned" end
return {}
