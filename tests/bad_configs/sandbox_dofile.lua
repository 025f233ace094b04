-- expect: error: tests/bad_configs/sandbox_dofile.lua:2: dofile is not available in a configuration: it runs in a sandbox without access to files, processes or the environment
local other = dofile("/etc/kodos/other.lua")
return other
