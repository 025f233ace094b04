-- expect: error: tests/bad_configs/returns_list.lua: the configuration must return a table of named sections, not a list
-- A list of packages is not a configuration.
return { "git", "htop" }
