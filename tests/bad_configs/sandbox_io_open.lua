-- expect: error: tests/bad_configs/sandbox_io_open.lua:2: io is not available in a configuration: it runs in a sandbox without access to files, processes or the environment
local hostname = io.open("/etc/hostname"):read("a")
return { network = { hostname = hostname } }
