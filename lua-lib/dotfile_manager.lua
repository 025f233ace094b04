-- dotfile_manager: how a user's dotfiles get into their home directory.
--
-- The result goes in `users.NAME.dotfile_manager`. `kodos user apply`
-- (upstream's `rebuild-user`) then fetches the repository (if one is given) and
-- links the packages named by `programs.X.deploy_config` and `deploy_configs`
-- into the target. Both directories are in the user's home: "~/PATH", or a
-- path relative to the home, without "..".
--
--   local dotmgr = require("dotfile_manager")
--   dotfile_manager = dotmgr.stow{ source_dir = "~/dotfiles", repo_url = "https://..." }

---@class kodos.StowOptions
---@field source_dir string  directory holding one stow package (sub-directory) per program, e.g. "~/.dotfiles"
---@field target_dir? string where links are made; default "~/"
---@field repo_url? string   git repository the dotfiles come from (without it, source_dir is used as it is)

---@class kodos.Stow
---@field type "stow"
---@field source_dir string
---@field target_dir string
---@field repo_url? string

---@class kodos.lib.dotfile_manager
local M = {}

local args = require("kodos.args")
local show = args.show

local STOW_KEYS = { source_dir = true, target_dir = true, repo_url = true }

---Manage dotfiles with GNU Stow.
---@param opts kodos.StowOptions
---@return kodos.Stow
function M.stow(opts)
  if type(opts) ~= "table" then
    error('dotfile_manager.stow: expects a table like { source_dir = "~/dotfiles" }, got ' .. show(opts), 2)
  end
  local unknown = args.unknown_key(opts, STOW_KEYS)
  if unknown ~= nil then
    error("dotfile_manager.stow: unknown option " .. show(unknown)
      .. " (known: source_dir, target_dir, repo_url)", 2)
  end
  local source_dir, target_dir, repo_url = opts.source_dir, opts.target_dir, opts.repo_url
  if type(source_dir) ~= "string" or source_dir == "" then
    error('dotfile_manager.stow: source_dir must be a directory like "~/dotfiles", got ' .. show(source_dir), 2)
  end
  if target_dir == nil then
    target_dir = "~/"
  elseif type(target_dir) ~= "string" or target_dir == "" then
    error('dotfile_manager.stow: target_dir must be a directory like "~/", got ' .. show(target_dir), 2)
  end
  if repo_url ~= nil and (type(repo_url) ~= "string" or repo_url == "") then
    error("dotfile_manager.stow: repo_url must be a git URL string, got " .. show(repo_url), 2)
  end
  return { type = "stow", source_dir = source_dir, target_dir = target_dir, repo_url = repo_url }
end

return M
