-- expect: error: tests/bad_configs/memory_bomb.lua: evaluation stopped: the configuration used more than 256 MiB
local parts = { "x" }
while true do
    parts[#parts + 1] = table.concat(parts)
end
