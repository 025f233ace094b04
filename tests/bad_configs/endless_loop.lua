-- expect: error: tests/bad_configs/endless_loop.lua:4: evaluation stopped after 50000000 Lua instructions; is there an endless loop?
local n = 0
while true do
    n = n + 1
end
return {}
