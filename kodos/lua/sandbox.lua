-- The sandbox a configuration runs in.
--
-- This chunk runs once per evaluation with the runtime's full standard library, keeps what it
-- needs as upvalues, and returns `run(source, chunkname)`, which evaluates a configuration in an
-- environment holding only safe functions. Nothing in that environment reaches the host: no io,
-- os.execute, package, debug, dofile/loadfile, binary chunks, or Python objects. The host
-- callbacks (`read_module`, `write_stderr`) stay here as upvalues, out of the config's reach.

local host, instruction_limit = ...

local real_load, real_pcall, real_xpcall = load, pcall, xpcall
local sethook, getinfo = debug.sethook, debug.getinfo
local pack, unpack, concat = table.pack, table.unpack, table.concat
-- The sandbox's own copies of the string functions it relies on: a configuration can replace
-- `string.sub` or `string.match` in its string table (which strings share), and the checks
-- below — the module-name rule, error locations — must not run its code or obey its answers.
local sub, match, find, gsub = string.sub, string.match, string.find, string.gsub

local function copy(source, skip)
    local out = {}
    for key, value in pairs(source) do
        if not (skip and skip[key]) then
            out[key] = value
        end
    end
    return out
end

-- Errors raised by the sandbox's own functions name the configuration line that called them:
-- the nearest frame whose chunk is a file ("@..."). A tail call (`return require("x")`) erases
-- that frame; then the file being evaluated is named without a line.
local main_chunkname = "?"
local loading_chunks = {}

local function nearest_config_line(first_level)
    for level = first_level, 64 do
        local frame = getinfo(level, "Sl")
        if frame == nil then
            break
        end
        if sub(frame.source, 1, 1) == "@" and frame.currentline > 0 then
            return frame.short_src .. ":" .. frame.currentline .. ": "
        end
    end
    local current = loading_chunks[#loading_chunks] or main_chunkname
    return sub(current, 2) .. ": "
end

local function fail(message)
    error(nearest_config_line(3) .. message, 0)
end

-- Strings index the string library through their shared metatable. Point it at a copy without
-- `dump` (which would expose bytecode) and hide the metatable itself, so a config can neither
-- reach nor modify the runtime's real string table.
local safe_string = copy(string, { dump = true })
local string_metatable = getmetatable("")
string_metatable.__index = safe_string
string_metatable.__metatable = false

local env = {
    _VERSION = _VERSION,
    assert = assert,
    error = error,
    getmetatable = getmetatable,
    ipairs = ipairs,
    next = next,
    pairs = pairs,
    rawequal = rawequal,
    rawget = rawget,
    rawlen = rawlen,
    rawset = rawset,
    select = select,
    setmetatable = setmetatable,
    tonumber = tonumber,
    tostring = tostring,
    type = type,
    string = safe_string,
    table = copy(table),
    math = copy(math),
    utf8 = copy(utf8),
    os = { time = os.time, date = os.date, clock = os.clock, difftime = os.difftime },
}
env._G = env

-- Runaway configurations: a count hook stops evaluation after `instruction_limit` VM
-- instructions. The pcall wrappers below re-raise the stop, so a config cannot swallow it and
-- keep looping.
local STOPPED = "evaluation stopped after " .. instruction_limit
    .. " Lua instructions; is there an endless loop?"
local stop_message = nil
local function on_instruction_limit()
    local where = getinfo(2, "Sl")
    stop_message = STOPPED
    if where and where.currentline and where.currentline > 0 then
        stop_message = where.short_src .. ":" .. where.currentline .. ": " .. STOPPED
    end
    error(stop_message, 0)
end

local MEMORY = "not enough memory"
local function rethrow_if_fatal(ok, err)
    if stop_message then
        error(stop_message, 0)
    end
    if not ok and err == MEMORY then
        error(MEMORY, 0)
    end
end

function env.pcall(fn, ...)
    local results = pack(real_pcall(fn, ...))
    rethrow_if_fatal(results[1], results[2])
    return unpack(results, 1, results.n)
end

function env.xpcall(fn, handler, ...)
    local results = pack(real_xpcall(fn, handler, ...))
    rethrow_if_fatal(results[1], results[2])
    return unpack(results, 1, results.n)
end

function env.load(chunk, chunkname, _mode, chunk_env)
    if type(chunk) ~= "string" then
        fail("load: a configuration may only load Lua source text")
    end
    return real_load(chunk, chunkname or "=(load)", "t", chunk_env or env)
end

function env.print(...)
    local parts = {}
    for i = 1, select("#", ...) do
        parts[i] = tostring((select(i, ...)))
    end
    host.write_stderr(concat(parts, "\t") .. "\n")
end

-- require: modules come from the config's directory first, then kodos's lua-lib; the host
-- finds and reads the file, and the module runs here, in this same environment.
local loaded, loading = {}, {}

local function valid_module_name(name)
    return type(name) == "string" and match(name, "^[%w_%-]+[%w_%-%.]*$") ~= nil
        and not find(name, "..", 1, true) and sub(name, -1) ~= "."
end

function env.require(name)
    if not valid_module_name(name) then
        fail("require: invalid module name " .. tostring(name)
            .. " (use letters, digits, '_' and '-', with '.' between directory parts)")
    end
    if loaded[name] ~= nil then
        return loaded[name]
    end
    if loading[name] then
        fail("require: module '" .. name .. "' requires itself")
    end
    local source, chunkname = host.read_module(name)
    if source == nil then
        fail(chunkname)
    end
    local chunk, syntax_error = real_load(source, chunkname, "t", env)
    if not chunk then
        error(syntax_error, 0)
    end
    loading[name] = true
    loading_chunks[#loading_chunks + 1] = chunkname
    local result = chunk(name)
    loading_chunks[#loading_chunks] = nil
    loading[name] = nil
    if result == nil then
        result = true
    end
    loaded[name] = result
    return result
end

-- kodos.data: data files beside the configuration, such as the host variables a fleet tool
-- writes (docs/fleet.md). The host reads them, only inside the configuration's directory, and
-- hands over a fresh table; nothing here touches the file system.
local data_functions = {}

function data_functions.json(name)
    if type(name) ~= "string" then
        fail("kodos.data.json: expected a file name (a string), got a " .. type(name))
    end
    local value, message = host.read_json(name)
    if message ~= nil then
        fail("kodos.data.json: " .. message)
    end
    return value
end

loaded["kodos.data"] = setmetatable({}, {
    __index = data_functions,
    __newindex = function()
        fail("kodos.data is read-only")
    end,
    __metatable = false,
})

-- Helper globals kept for configurations written for upstream.
local list_metatable, map_metatable = {}, {}

local function concat_operands(a, b, helper)
    if type(a) ~= "table" or type(b) ~= "table" then
        fail(helper .. ": '..' joins two tables, got a " .. type(a) .. " and a " .. type(b))
    end
end

list_metatable.__concat = function(a, b)
    concat_operands(a, b, "list")
    local out = setmetatable({}, list_metatable)
    for _, item in ipairs(a) do
        out[#out + 1] = item
    end
    for _, item in ipairs(b) do
        out[#out + 1] = item
    end
    return out
end

map_metatable.__concat = function(a, b)
    concat_operands(a, b, "map")
    local out = setmetatable({}, map_metatable)
    for key, value in pairs(a) do
        out[key] = value
    end
    for key, value in pairs(b) do
        out[key] = value
    end
    return out
end

local function tagged(metatable, helper)
    return function(t)
        if type(t) ~= "table" then
            fail(helper .. ": expected a table, got a " .. type(t))
        end
        return setmetatable(t, metatable)
    end
end

env.list = tagged(list_metatable, "list")
env.map = tagged(map_metatable, "map")

function env.If(condition, value)
    if condition then
        return value
    end
    if type(value) == "table" then
        return setmetatable({}, getmetatable(value))
    end
    return nil
end

function env.IfElse(condition, when_true, when_false)
    if condition then
        return when_true
    end
    return when_false
end

-- path: read-only string helpers; they never touch the file system.
local path_functions = {
    config_dir = host.config_dir,
    separator = "/",
}

function path_functions.join(...)
    local parts = {}
    for i = 1, select("#", ...) do
        local part = select(i, ...)
        if type(part) ~= "string" then
            fail("path.join: argument " .. i .. " is a " .. type(part) .. ", not a string")
        end
        if sub(part, 1, 1) == "/" then
            parts = {}
        end
        parts[#parts + 1] = gsub(part, "/+$", "")
    end
    local joined = gsub(concat(parts, "/"), "//+", "/")
    return joined
end

local function check_path_argument(helper, p)
    if type(p) ~= "string" then
        fail("path." .. helper .. ": expected a string, got " .. type(p))
    end
end

function path_functions.basename(p)
    check_path_argument("basename", p)
    return (match(gsub(p, "/+$", ""), "[^/]*$"))
end

function path_functions.dirname(p)
    check_path_argument("dirname", p)
    local trimmed = gsub(p, "/+$", "")
    local dir = match(trimmed, "^(.*)/[^/]*$")
    if dir == nil then
        return "."
    end
    if dir == "" then
        return "/"
    end
    return dir
end

env.path = setmetatable({}, {
    __index = path_functions,
    __newindex = function()
        fail("path is read-only")
    end,
    __metatable = false,
})

-- What the sandbox leaves out says so, instead of Lua's bare "attempt to index a nil value".
local REMOVED = "is not available in a configuration: it runs in a sandbox without access "
    .. "to files, processes or the environment"
local function explain_removed(table_name, names)
    local removed = {}
    for _, name in ipairs(names) do
        removed[name] = true
    end
    return function(_, name)
        if removed[name] then
            fail(table_name .. name .. " " .. REMOVED)
        end
    end
end
setmetatable(env, { __index = explain_removed("", {
    "io", "package", "debug", "dofile", "loadfile", "loadstring", "coroutine", "collectgarbage",
    "python",
}) })
setmetatable(env.os, { __index = explain_removed("os.", {
    "execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale",
}) })

-- Errors raised with a non-string value get the line they were raised at, like string errors.
local function describe_error(message)
    sethook()
    if type(message) ~= "string" then
        message = nearest_config_line(2) .. "error called with a " .. type(message)
            .. " instead of a message string"
    end
    return message
end

return function(source, chunkname)
    main_chunkname = chunkname
    local chunk, syntax_error = real_load(source, chunkname, "t", env)
    if not chunk then
        return false, syntax_error
    end
    sethook(on_instruction_limit, "", instruction_limit)
    local ok, result = real_xpcall(chunk, describe_error)
    sethook()
    if stop_message then
        return false, stop_message
    end
    return ok, result
end
