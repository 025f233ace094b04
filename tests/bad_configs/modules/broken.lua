-- A module with a syntax error (used by require_module_syntax_error.lua).
local M = {}
M.packages = = { "git" }
return M
