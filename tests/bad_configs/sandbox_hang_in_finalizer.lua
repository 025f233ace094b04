-- expect: error: tests/bad_configs/sandbox_hang_in_finalizer.lua: evaluation stopped after 10 seconds; is there an endless loop?
-- A finalizer runs with the instruction hook off: only the wall-clock deadline stops it.
setmetatable({}, { __gc = function() while true do end end })
return { network = { hostname = "host" } }
