-- expect: error: tests/bad_configs/runtime_assert.lua:3: a machine needs a hostname
local hostname = nil
assert(hostname, "a machine needs a hostname")
return { network = { hostname = hostname } }
