-- expect: error: tests/bad_configs/runtime_endless_recursion.lua:3: stack overflow
local function depth(n)
    return depth(n + 1) + 1
end
return { boot = { loader = { timeout = depth(0) } } }
