-- expect: error: tests/bad_configs/runtime_error_table.lua:4: error called with a table instead of a message string
-- error() with a table carries no position of its own; the line that raised it is still known.
local problem = { code = 3 }
error(problem)
