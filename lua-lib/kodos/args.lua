-- kodos.args: small helpers the lua-lib modules share to check their arguments and say what
-- was wrong in their error messages.

---@class kodos.lib.args
local M = {}

---How a value looks in an error message: strings quoted, tables and functions by kind.
---@param v any
---@return string
function M.show(v)
  local kind = type(v)
  if kind == "string" then return string.format("%q", v) end
  if kind == "nil" or kind == "number" or kind == "boolean" then return tostring(v) end
  return "a " .. kind
end

---The first key of `t` that is not in `known`, or nil.
---@param t table
---@param known table<string, boolean>
---@return any
function M.unknown_key(t, known)
  for key in pairs(t) do
    if not known[key] then return key end
  end
  return nil
end

return M
