-- expect: error: tests/bad_configs/sandbox_path_basename_nil.lua:4: path.basename: expected a string, got nil
-- A path helper given no string must name the configuration's line, not the sandbox's own.
local dirs = {}
local name = path.basename(dirs.home)
return { users = { [name] = {} } }
