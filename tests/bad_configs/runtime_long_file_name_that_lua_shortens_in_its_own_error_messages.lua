-- expect: error: tests/bad_configs/runtime_long_file_name_that_lua_shortens_in_its_own_error_messages.lua:4: boom
-- Lua shortens chunk names longer than 60 characters ("...name.lua:4:"); the location must
-- still be this file and line.
error("boom")
