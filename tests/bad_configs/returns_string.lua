-- expect: error: tests/bad_configs/returns_string.lua: the configuration must return a table of named sections, not a string
return "packages = { 'git' }"
