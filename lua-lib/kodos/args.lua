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

---`pairs(t)` in a fixed order (by kind, then by text): Lua's own order changes from run to
---run, and an error message that names "the first" of several keys must not.
---@generic K, V
---@param t table<K, V>
---@return fun(): K, V
function M.sorted_pairs(t)
  local keys = {}
  for key in pairs(t) do keys[#keys + 1] = key end
  table.sort(keys, function(a, b)
    local ka, kb = type(a), type(b)
    if ka ~= kb then return ka < kb end
    if ka == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local i = 0
  return function()
    i = i + 1
    local key = keys[i]
    if key ~= nil then return key, t[key] end
  end
end

---The first key of `t` (in `sorted_pairs` order) that is not in `known`, or nil.
---@param t table
---@param known table<string, boolean>
---@return any
function M.unknown_key(t, known)
  for key in M.sorted_pairs(t) do
    if not known[key] then return key end
  end
  return nil
end

return M
