-- expect: error: tests/bad_configs/sandbox_pcall_cannot_swallow_limit.lua:4: evaluation stopped after 50000000 Lua instructions; is there an endless loop?
-- pcall re-raises the stop, so a loop around a protected endless loop still ends.
while true do
    pcall(function() while true do end end)
end
