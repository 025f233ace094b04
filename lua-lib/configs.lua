-- configs: ready-made configuration objects for programs and services.
--
-- Each function checks its arguments and returns plain data that goes in a
-- `config = ...` (or, for mounts, `mount = ...`) field; kodos turns it into
-- files and units when it applies the configuration.
--
--   local configs = require("configs")
--   programs = { git = { enable = true, config = configs.git{ user_name = "Ada", user_email = "ada@example.org" } } }

---@class kodos.GitOptions
---@field user_name? string            user.name
---@field user_email? string           user.email
---@field extra? table<string, string|boolean|number> more keys, e.g. { ["init.defaultBranch"] = "main" }

---@class kodos.GitConfig
---@field type "git"
---@field user_name? string
---@field user_email? string
---@field extra? table<string, string> values are always strings here

---@alias kodos.DconfValue string | number | boolean | string[]

---@class kodos.DconfConfig
---@field type "dconf"
---@field settings table<string, table<string, kodos.DconfValue>> dconf path → key → value

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

---@class kodos.MountConfig
---@field type "mount"
---@field mounts table<string, kodos.MountEntry>

---@alias kodos.ProgramConfig kodos.GitConfig | kodos.DconfConfig | kodos.SyncthingConfig | kodos.MountConfig | kodos.Stow

---@class kodos.lib.configs
local M = {}

local args = require("kodos.args")
local show = args.show
local unknown_key = args.unknown_key


local GIT_KEYS = { user_name = true, user_email = true, extra = true }

---A ~/.gitconfig for the user.
---@param opts kodos.GitOptions
---@return kodos.GitConfig
function M.git(opts)
  if type(opts) ~= "table" then
    error('configs.git: expects a table like { user_name = "Ada", user_email = "ada@example.org" }, got '
      .. show(opts), 2)
  end
  local bad = unknown_key(opts, GIT_KEYS)
  if bad ~= nil then
    error("configs.git: unknown option " .. show(bad) .. " (known: user_name, user_email, extra)", 2)
  end
  if opts.user_name ~= nil and (type(opts.user_name) ~= "string" or opts.user_name == "") then
    error("configs.git: user_name must be a non-empty string, got " .. show(opts.user_name), 2)
  end
  if opts.user_email ~= nil and (type(opts.user_email) ~= "string" or not string.find(opts.user_email, "@", 1, true)) then
    error('configs.git: user_email must be an address like "ada@example.org", got ' .. show(opts.user_email), 2)
  end
  local extra = nil
  if opts.extra ~= nil then
    if type(opts.extra) ~= "table" then
      error('configs.git: extra must be a table like { ["core.editor"] = "nvim" }, got ' .. show(opts.extra), 2)
    end
    extra = {}
    for key, value in pairs(opts.extra) do
      if type(key) ~= "string" or not string.match(key, "^[%w-]+%..*[%w-]$") then
        error('configs.git: extra keys must be "section.name" like "core.editor", got ' .. show(key), 2)
      end
      local kind = type(value)
      if kind ~= "string" and kind ~= "boolean" and kind ~= "number" then
        error("configs.git: extra[" .. show(key) .. "] must be a string, boolean or number, got " .. kind, 2)
      end
      extra[key] = tostring(value)
    end
  end
  return { type = "git", user_name = opts.user_name, user_email = opts.user_email, extra = extra }
end

---GNOME (dconf) settings for the user, e.g.
---`{ ["org/gnome/desktop/interface"] = { ["color-scheme"] = "prefer-dark" } }`.
---@param settings table<string, table<string, kodos.DconfValue>> dconf path → key → value
---@return kodos.DconfConfig
function M.dconf(settings)
  if type(settings) ~= "table" then
    error('configs.dconf: expects a table like { ["org/gnome/desktop/interface"] = { ... } }, got '
      .. show(settings), 2)
  end
  local clean = {}
  for dir, keys in pairs(settings) do
    if type(dir) ~= "string" or not string.match(dir, "^/?[%w.-]+[%w./-]*$") then
      error('configs.dconf: keys must be dconf paths like "org/gnome/desktop/interface", got ' .. show(dir), 2)
    end
    if type(keys) ~= "table" then
      error("configs.dconf: settings[" .. show(dir) .. "] must be a table of key = value, got " .. show(keys), 2)
    end
    for key, value in pairs(keys) do
      if type(key) ~= "string" or key == "" then
        error("configs.dconf: settings[" .. show(dir) .. "] has a key that is not a string: " .. show(key), 2)
      end
      local kind = type(value)
      if kind == "table" then
        local n = #value
        for k, item in pairs(value) do
          if math.type(k) ~= "integer" or k < 1 or k > n or type(item) ~= "string" then
            error("configs.dconf: " .. dir .. "/" .. key .. " must be a list of strings", 2)
          end
        end
      elseif kind ~= "string" and kind ~= "number" and kind ~= "boolean" then
        error("configs.dconf: " .. dir .. "/" .. key .. " must be a string, number, boolean or list of strings, got "
          .. kind, 2)
      end
    end
    -- "org/gnome/x", "/org/gnome/x" and "org/gnome/x/" all name the same place.
    local norm = string.gsub(dir, "^/*(.-)/*$", "%1")
    clean[norm] = keys
  end
  return { type = "dconf", settings = clean }
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

local MOUNT_KEYS = {
  type = true, what = true, where = true, description = true, options = true,
  after = true, wanted_by = true, automount = true, automount_config = true,
}
local MOUNT_STRINGS = { "description", "options", "after", "wanted_by", "automount_config" }

---systemd mount units, one per entry: `{ nas = { type = "nfs", what = "nas:/srv", where = "/mnt/nas" } }`.
---Each entry needs type, what and where.
---@param mounts table<string, kodos.MountEntry> unit label → mount
---@return kodos.MountConfig
function M.mount(mounts)
  if type(mounts) ~= "table" then
    error('configs.mount: expects a table like { nas = { type = "nfs", what = "nas:/srv", where = "/mnt/nas" } }, got '
      .. show(mounts), 2)
  end
  for name, entry in pairs(mounts) do
    if type(name) ~= "string" or not string.match(name, "^[%w_][%w_.-]*$") then
      error("configs.mount: each mount needs a name (letters, digits, _ . -), got " .. show(name), 2)
    end
    local at = "configs.mount: mounts." .. name
    if type(entry) ~= "table" then
      error(at .. " must be a table with type, what and where, got " .. show(entry), 2)
    end
    local bad = unknown_key(entry, MOUNT_KEYS)
    if bad ~= nil then
      error(at .. ": unknown option " .. show(bad)
        .. " (known: type, what, where, description, options, after, wanted_by, automount, automount_config)", 2)
    end
    if type(entry.type) ~= "string" or not string.match(entry.type, "^[%w_.@+-]+$") then
      error(at .. '.type must be a file system type like "nfs" or "cifs", got ' .. show(entry.type), 2)
    end
    if type(entry.what) ~= "string" or entry.what == "" then
      error(at .. '.what must be a string like "//nas/share" or "nas:/export", got ' .. show(entry.what), 2)
    end
    if type(entry.where) ~= "string" or not string.match(entry.where, "^/") then
      error(at .. '.where must be an absolute path like "/mnt/nas", got ' .. show(entry.where), 2)
    end
    for _, key in ipairs(MOUNT_STRINGS) do
      if entry[key] ~= nil and type(entry[key]) ~= "string" then
        error(at .. "." .. key .. " must be a string, got " .. show(entry[key]), 2)
      end
    end
    if entry.automount ~= nil and type(entry.automount) ~= "boolean" then
      error(at .. ".automount must be true or false, got " .. show(entry.automount), 2)
    end
  end
  return { type = "mount", mounts = mounts }
end

---Same as `require("dotfile_manager").stow`.
M.stow = require("dotfile_manager").stow

return M
