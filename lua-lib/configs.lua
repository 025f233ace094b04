-- configs: ready-made configuration objects for programs and services.
--
-- Each function checks its arguments and returns plain data that goes in a
-- `config = ...` (or, for mounts, `mount = ...`) field; kodos turns it into
-- files and units when it applies the configuration. The signatures are
-- upstream KodOS's, so its configurations work unchanged.
--
--   local configs = require("configs")
--   programs = { git = { enable = true, config = configs.git{ user_name = "Ada", init_defaultBranch = "main" } } }
--
-- Requiring this module also defines the global `copy_file`, as upstream's does.

---@alias kodos.GitValue string|boolean|number

---@class kodos.GitOptions
---@field user_name? string            user.name: every key `a_b` is git's `a.b`, `a_b_c` is `a.b.c`
---@field user_email? string           user.email
---@field extra? table<string, kodos.GitValue> more keys written the git way, e.g. { ["init.defaultBranch"] = "main" }
---@field [string] kodos.GitValue      any other git key, e.g. init_defaultBranch = "main", pull_rebase = true

---@class kodos.GitConfig
---@field type "git"
---@field settings table<string, kodos.GitValue> git key ("user.name") → value

---@alias kodos.DconfScalar string | integer | number | boolean
---@alias kodos.DconfValue kodos.DconfScalar | kodos.DconfScalar[] | table<string, table<string, kodos.DconfScalar>> the last: upstream's relocatable form, dconf path → key → value

---@class kodos.DconfConfig
---@field type "dconf"
---@field settings table<string, table<string, kodos.DconfScalar|kodos.DconfScalar[]>> dconf directory → key → value
---@field relocatable_schemas table<string, string> directory written in the relocatable form → its schema id

---@class kodos.SyncthingOptions
---@field service_name? string user unit to enable; default "syncthing"
---@field options? string      extra command-line options for syncthing

---@class kodos.SyncthingConfig
---@field type "syncthing"
---@field service_name string
---@field options? string

---@class kodos.MountEntry
---@field type string              file system type: "cifs", "nfs", "ext4", ...
---@field what string              what to mount: "//server/share", "server:/export", "/dev/disk/by-label/data"
---@field where string             absolute mount point, e.g. "/mnt/nas"
---@field description? string      shown by systemctl
---@field options? string          mount options, comma separated
---@field after? string            a unit to mount after, e.g. "network-online.target"
---@field wanted_by? string        the target that pulls the mount in, e.g. "multi-user.target"
---@field automount? boolean       mount on first access instead of at boot
---@field automount_config? string extra automount setting, e.g. "TimeoutIdleSec=600"

---@class kodos.MountUnitOptions: kodos.MountEntry
---@field name string              the unit's name: the mount point escaped, /mnt/data → "mnt-data"
---@field enable? boolean          false leaves the unit out; default true

---@class kodos.MountConfig
---@field type "mount"
---@field mounts table<string, kodos.MountEntry>

---@class kodos.MountUnit
---@field type "mount_unit"
---@field enable boolean
---@field name string
---@field mount kodos.MountEntry

---@class kodos.CopyFile
---@field type "copy_file"
---@field source string a file of the configuration directory, relative to it

---@alias kodos.ProgramConfig kodos.GitConfig | kodos.DconfConfig | kodos.SyncthingConfig | kodos.MountConfig | kodos.MountUnit | kodos.Stow

---@class kodos.lib.configs
local M = {}

local args = require("kodos.args")
local show = args.show
local unknown_key = args.unknown_key

local function is_git_value(value)
  local kind = type(value)
  return kind == "string" or kind == "boolean" or kind == "number"
end

---The user's git configuration: each key `a_b` is git's `a.b` (upstream's form), e.g.
---`configs.git{ user_name = "Ada", user_email = "ada@example.org", init_defaultBranch = "main" }`.
---@param opts kodos.GitOptions
---@return kodos.GitConfig
function M.git(opts)
  if type(opts) ~= "table" then
    error('configs.git: expects a table like { user_name = "Ada", user_email = "ada@example.org" }, got '
      .. show(opts), 2)
  end
  if opts.user_name ~= nil and (type(opts.user_name) ~= "string" or opts.user_name == "") then
    error("configs.git: user_name must be a non-empty string, got " .. show(opts.user_name), 2)
  end
  if opts.user_email ~= nil and (type(opts.user_email) ~= "string" or not string.find(opts.user_email, "@", 1, true)) then
    error('configs.git: user_email must be an address like "ada@example.org", got ' .. show(opts.user_email), 2)
  end
  local settings = {}
  for key, value in args.sorted_pairs(opts) do
    if key ~= "extra" then
      if type(key) ~= "string" or not string.match(key, "^%a[%w-]*_.*[%w-]$") then
        error("configs.git: " .. show(key) .. ' is not a git key written section_name, such as user_name for'
          .. ' user.name or init_defaultBranch for init.defaultBranch', 2)
      end
      if not is_git_value(value) then
        error("configs.git: " .. key .. " must be a string, boolean or number, got " .. show(value), 2)
      end
      settings[(string.gsub(key, "_", "."))] = value
    end
  end
  if opts.extra ~= nil then
    if type(opts.extra) ~= "table" then
      error('configs.git: extra must be a table like { ["core.editor"] = "nvim" }, got ' .. show(opts.extra), 2)
    end
    for key, value in args.sorted_pairs(opts.extra) do
      if type(key) ~= "string" or not string.match(key, "^%a[%w-]*%..*[%w-]$") then
        error('configs.git: extra keys must be "section.name" like "core.editor", got ' .. show(key), 2)
      end
      if not is_git_value(value) then
        error("configs.git: extra[" .. show(key) .. "] must be a string, boolean or number, got " .. show(value), 2)
      end
      if settings[key] ~= nil and settings[key] ~= value then
        error("configs.git: " .. key .. " is set twice with different values (once in extra)", 2)
      end
      settings[key] = value
    end
  end
  return { type = "git", settings = settings }
end

-- dconf -------------------------------------------------------------------------------------

local DCONF_DIR_PART = "^[%w_.-]+$"

-- "org/gnome/x", "/org/gnome/x/" → "org/gnome/x"; a schema id "org.gnome.shell.weather" (no
-- "/": upstream hands the name to gsettings, which reads it as one) → "org/gnome/shell/weather".
local function dconf_dir(name)
  if type(name) ~= "string" then return nil end
  local dir = string.gsub(name, "^/*(.-)/*$", "%1")
  if not string.find(dir, "/", 1, true) then
    dir = string.gsub(dir, "%.", "/")
  end
  for part in string.gmatch(dir, "[^/]+") do
    if not string.match(part, DCONF_DIR_PART) then return nil end
  end
  if dir == "" or string.find(dir, "//", 1, true) then return nil end
  return dir
end

-- GSettings key names have no "_": upstream writes color_scheme for color-scheme.
local function dconf_key(key)
  if type(key) ~= "string" or not string.match(key, "^[%w][%w_-]*$") then return nil end
  return (string.gsub(key, "_", "-"))
end

local function is_scalar(value)
  local kind = type(value)
  return kind == "string" or kind == "number" or kind == "boolean"
end

local function is_list(value)
  local n = #value
  for k in pairs(value) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

-- A list of scalars of one kind (numbers may mix integers and floats), or nil and why not.
local function list_problem(value)
  local kind = nil
  for _, item in ipairs(value) do
    if not is_scalar(item) then return "a list holds strings, booleans or numbers, not " .. show(item) end
    if kind == nil then
      kind = type(item)
    elseif type(item) ~= kind then
      return "a list holds items of one kind, not a " .. kind .. " and a " .. type(item)
    end
  end
  return nil
end

-- Set `dir`/`key` = value in `clean`, refusing a second, different value for the same key;
-- `level` is error()'s, counted from the caller of `put`.
local function put(clean, dir, key, value, where, level)
  clean[dir] = clean[dir] or {}
  local before = clean[dir][key]
  if before ~= nil and before ~= value then
    error("configs.dconf: " .. dir .. "/" .. key .. " is set twice (" .. where .. ")", level + 1)
  end
  clean[dir][key] = value
end

-- Upstream's relocatable form under directory `dir`, key `key`: { [path] = { k = v } } sets
-- the keys of the directory `path`, whose schema is `dir`'s schema id plus `.key`.
local function relocated(clean, schemas, dir, key, paths)
  local at = "configs.dconf: " .. dir .. "/" .. key
  for path, keys in args.sorted_pairs(paths) do
    local target = type(path) == "string" and string.match(path, "^/") and dconf_dir(path)
    if not target then
      error(at .. ": a relocatable entry is keyed by a dconf path like"
        .. ' "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/", got ' .. show(path), 3)
    end
    if type(keys) ~= "table" or is_list(keys) and next(keys) ~= nil then
      error(at .. "[" .. show(path) .. "] must be a table of key = value, got " .. show(keys), 3)
    end
    for k, v in args.sorted_pairs(keys) do
      local name = dconf_key(k)
      if name == nil then
        error(at .. "[" .. show(path) .. "] has a key that is not a dconf key name: " .. show(k), 3)
      end
      if not is_scalar(v) then
        error(at .. "[" .. show(path) .. "]." .. k .. " must be a string, number or boolean, got " .. show(v), 3)
      end
      put(clean, target, name, v, "once in " .. dir .. "/" .. key, 3)
    end
    schemas[target] = string.gsub(dir, "/", ".") .. "." .. key
  end
end

---GNOME (dconf) settings for the user: dconf path (or schema id) → key → value, e.g.
---`{ ["org/gnome/desktop/interface"] = { color_scheme = "prefer-dark" } }`. `_` in key names
---is `-`; a value is a string, a number (integer or float), a boolean or a list of one kind of
---these; upstream's relocatable form `key = { ["/path/"] = { k = v } }` sets the keys at `/path/`.
---@param settings table<string, table<string, kodos.DconfValue>>
---@return kodos.DconfConfig
function M.dconf(settings)
  if type(settings) ~= "table" then
    error('configs.dconf: expects a table like { ["org/gnome/desktop/interface"] = { ... } }, got '
      .. show(settings), 2)
  end
  local clean, schemas = {}, {}
  for name, keys in args.sorted_pairs(settings) do
    local dir = dconf_dir(name)
    if dir == nil then
      error('configs.dconf: keys must be dconf paths like "org/gnome/desktop/interface", got ' .. show(name), 2)
    end
    if type(keys) ~= "table" then
      error("configs.dconf: settings[" .. show(name) .. "] must be a table of key = value, got " .. show(keys), 2)
    end
    for key, value in args.sorted_pairs(keys) do
      local k = dconf_key(key)
      if k == nil then
        error("configs.dconf: settings[" .. show(name) .. "] has a key that is not a dconf key name: " .. show(key), 2)
      end
      if type(value) == "table" and not is_list(value) then
        relocated(clean, schemas, dir, k, value)
      elseif type(value) == "table" then
        local problem = list_problem(value)
        if problem then error("configs.dconf: " .. dir .. "/" .. k .. ": " .. problem, 2) end
        put(clean, dir, k, value, "as " .. show(name) .. " and another spelling", 2)
      elseif is_scalar(value) then
        put(clean, dir, k, value, "as " .. show(name) .. " and another spelling", 2)
      else
        error("configs.dconf: " .. dir .. "/" .. k .. " must be a string, number, boolean or list, got "
          .. show(value), 2)
      end
    end
  end
  return { type = "dconf", settings = clean, relocatable_schemas = schemas }
end

local SYNCTHING_KEYS = { service_name = true, options = true }

---Syncthing as a user service.
---@param opts? kodos.SyncthingOptions
---@return kodos.SyncthingConfig
function M.syncthing(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error('configs.syncthing: expects a table like { options = "--no-browser" }, got ' .. show(opts), 2)
  end
  local bad = unknown_key(opts, SYNCTHING_KEYS)
  if bad ~= nil then
    error("configs.syncthing: unknown option " .. show(bad) .. " (known: service_name, options)", 2)
  end
  local service_name = opts.service_name
  if service_name == nil then
    service_name = "syncthing"
  elseif type(service_name) ~= "string" or not string.match(service_name, "^[%w@._:-]+$") then
    error('configs.syncthing: service_name must be a unit name like "syncthing", got ' .. show(service_name), 2)
  end
  if opts.options ~= nil and type(opts.options) ~= "string" then
    error("configs.syncthing: options must be a string of command-line options, got " .. show(opts.options), 2)
  end
  return { type = "syncthing", service_name = service_name, options = opts.options }
end

-- mounts ------------------------------------------------------------------------------------

local MOUNT_KEYS = {
  type = true, what = true, where = true, description = true, options = true,
  after = true, wanted_by = true, automount = true, automount_config = true,
}
local MOUNT_KEY_LIST = "type, what, where, description, options, after, wanted_by, automount, automount_config"
local MOUNT_UNIT_KEYS = { enable = true, name = true }
for key in pairs(MOUNT_KEYS) do MOUNT_UNIT_KEYS[key] = true end
local MOUNT_STRINGS = { "description", "options", "after", "wanted_by", "automount_config" }

-- The checks one mount's keys get; messages start with `at`, and name a key as at .. sep .. key.
-- Returns the entry's mount keys.
local function checked_mount(entry, at, sep, known, known_list)
  local bad = unknown_key(entry, known)
  if bad ~= nil then
    error(at .. ": unknown option " .. show(bad) .. " (known: " .. known_list .. ")", 3)
  end
  if type(entry.type) ~= "string" or not string.match(entry.type, "^[%w_.@+-]+$") then
    error(at .. sep .. 'type must be a file system type like "nfs" or "cifs", got ' .. show(entry.type), 3)
  end
  if type(entry.what) ~= "string" or entry.what == "" then
    error(at .. sep .. 'what must be a string like "//nas/share" or "nas:/export", got ' .. show(entry.what), 3)
  end
  if type(entry.where) ~= "string" or not string.match(entry.where, "^/") then
    error(at .. sep .. 'where must be an absolute path like "/mnt/nas", got ' .. show(entry.where), 3)
  end
  for _, key in ipairs(MOUNT_STRINGS) do
    if entry[key] ~= nil and type(entry[key]) ~= "string" then
      error(at .. sep .. key .. " must be a string, got " .. show(entry[key]), 3)
    end
  end
  if entry.automount ~= nil and type(entry.automount) ~= "boolean" then
    error(at .. sep .. "automount must be true or false, got " .. show(entry.automount), 3)
  end
  local mount = {}
  for key in pairs(MOUNT_KEYS) do mount[key] = entry[key] end
  return mount
end

-- Upstream's form: the table is one mount, with its unit's name.
local function is_one_mount(t)
  for _, key in ipairs({ "name", "type", "what", "where", "enable" }) do
    if t[key] ~= nil and type(t[key]) ~= "table" then return true end
  end
  return false
end

---systemd mount units. Upstream's form makes ONE unit named `name` (the mount point escaped:
---/mnt/data → "mnt-data"): `configs.mount{ name = "mnt-data", type = "cifs", what = "//nas/share",
---where = "/mnt/data", automount = true }`; it may also stand as a service of its own. The other
---form names several: `configs.mount{ nas = { type = "nfs", what = "nas:/srv", where = "/mnt/nas" } }`.
---@param mounts kodos.MountUnitOptions | table<string, kodos.MountEntry>
---@return kodos.MountUnit | kodos.MountConfig
function M.mount(mounts)
  if type(mounts) ~= "table" then
    error('configs.mount: expects a table like { name = "mnt-nas", type = "nfs", what = "nas:/srv", where = "/mnt/nas" }, got '
      .. show(mounts), 2)
  end
  if is_one_mount(mounts) then
    local mount = checked_mount(mounts, "configs.mount", ": ", MOUNT_UNIT_KEYS, "enable, name, " .. MOUNT_KEY_LIST)
    if type(mounts.name) ~= "string" or not string.match(mounts.name, "^[%w:_.\\-]+$") then
      error('configs.mount: name must be the unit\'s name, the mount point escaped like "mnt-data" for /mnt/data, got '
        .. show(mounts.name), 2)
    end
    if mounts.enable ~= nil and type(mounts.enable) ~= "boolean" then
      error("configs.mount: enable must be true or false, got " .. show(mounts.enable), 2)
    end
    local enable = mounts.enable
    if enable == nil then enable = true end
    return { type = "mount_unit", enable = enable, name = mounts.name, mount = mount }
  end
  for name, entry in args.sorted_pairs(mounts) do
    if type(name) ~= "string" or not string.match(name, "^[%w_][%w_.-]*$") then
      error("configs.mount: each mount needs a name (letters, digits, _ . -), got " .. show(name), 2)
    end
    local at = "configs.mount: mounts." .. name
    if type(entry) ~= "table" then
      error(at .. " must be a table with type, what and where, got " .. show(entry), 2)
    end
    checked_mount(entry, at, ".", MOUNT_KEYS, MOUNT_KEY_LIST)
  end
  return { type = "mount", mounts = mounts }
end

---A file of the configuration directory, copied into the user's home at the place it is
---written under: `users.NAME.files = { ["~/.config/background"] = copy_file("background.jpg") }`.
---Also a global once this module is required, as upstream's.
---@param source string relative to the configuration directory, without ".."
---@return kodos.CopyFile
function M.copy_file(source)
  if type(source) ~= "string" or source == "" or string.match(source, "^[/~]") then
    error('copy_file: expects a file of the configuration directory, relative to it, like "files/background.jpg", got '
      .. show(source), 2)
  end
  for part in string.gmatch(source, "[^/]+") do
    if part == ".." then
      error("copy_file: " .. show(source) .. " leaves the configuration directory (a .. part)", 2)
    end
  end
  return { type = "copy_file", source = source }
end

copy_file = M.copy_file

---Same as `require("dotfile_manager").stow`.
M.stow = require("dotfile_manager").stow

return M
