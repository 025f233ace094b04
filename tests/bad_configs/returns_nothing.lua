-- expect: error: tests/bad_configs/returns_nothing.lua: the configuration returns nothing; end it with `return { ... }`
-- Builds a table but forgets to return it.
local config = {
    packages = { "git" },
}
