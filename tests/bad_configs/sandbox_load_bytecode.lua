-- expect: error: tests/bad_configs/sandbox_load_bytecode.lua:3: attempt to load a binary chunk (mode is 't')
-- A precompiled chunk is refused: load only accepts source text.
local chunk = assert(load("\27LuaT\0\25\147\13\10\26\10\4\8\8"))
return chunk()
