-- expect: error: tests/bad_configs/list_concat_string.lua:4: list: '..' joins two tables, got a table and a string
-- The list helper joins two tables; a bare string is a mistake located at the '..'.
local base = list({ "git" })
local all = base .. "htop"
return { packages = all }
