-- expect: error: tests/bad_configs/sandbox_debug.lua:3: debug is not available in a configuration: it runs in a sandbox without access to files, processes or the environment
-- Without debug a config cannot remove the instruction-count hook.
debug.sethook()
while true do end
