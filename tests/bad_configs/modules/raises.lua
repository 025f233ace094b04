-- A module that raises while loading (used by require_module_raises.lua).
local M = {}
error("modules/raises.lua refuses to load: set MACHINE first")
return M
