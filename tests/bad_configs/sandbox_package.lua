-- expect: error: tests/bad_configs/sandbox_package.lua:2: package is not available in a configuration: it runs in a sandbox without access to files, processes or the environment
package.path = "/tmp/?.lua;" .. package.path
return require("evil")
