-- expect: error: tests/bad_configs/runtime_index_nil.lua:4: attempt to index a nil value (field 'machine')
local settings = {}
return {
    network = { hostname = settings.machine.hostname },
}
