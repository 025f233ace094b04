-- repos: where packages come from.
--
-- Each function returns one entry of the `repos` section. Plain package
-- names install from the Arch repositories; a name written "aur:NAME" goes
-- to the AUR helper and "flatpak:APP.ID" to the Flatpak remote.
--
--   local repos = require("repos")
--   repos = {
--     arch    = repos.arch_repo("https://geo.mirror.pkgbuild.com"),
--     aur     = repos.aur_repo("paru", "https://aur.archlinux.org/paru-bin.git"),
--     flatpak = repos.flatpak_repo("flathub"),
--   }
--
-- A Flatpak remote is set up in the system installation of each generation
-- (docs/flatpak.md); an unsigned local repository needs { gpg_verify = false }:
--   repos.flatpak_repo("local", "file:///srv/flatpak/repo", { gpg_verify = false })

---@class kodos.ArchRepo
---@field type "arch"
---@field mirror string base URL of an Arch mirror (the part before "$repo/os/$arch")

---@class kodos.AurRepo
---@field type "aur"
---@field helper string AUR helper that builds "aur:" packages, e.g. "yay" or "paru"
---@field url? string   git URL of the helper's own PKGBUILD: the helper is installed from the
---                     package base it names ("…/yay-bin.git" → yay-bin); nil: the base `helper`
---@field aur_url? string where the AUR is (default "https://aur.archlinux.org"); a file:// URL
---                       is a directory of git repositories <pkgbase>.git

---@class kodos.FlatpakRepo
---@field type "flatpak"
---@field remote string name of the Flatpak remote "flatpak:" packages install from
---@field url? string   the remote's .flatpakrepo URL (or its repository URL); nil: kodos knows it (flathub)
---@field gpg_verify? boolean verify signatures (default true); false only for an unsigned repository

---@class kodos.FlatpakRepoOptions
---@field gpg_verify? boolean verify the remote's signatures (default true)

---@alias kodos.Repo kodos.ArchRepo | kodos.AurRepo | kodos.FlatpakRepo

---@class kodos.lib.repos
local M = {}

local args = require("kodos.args")
local show = args.show
local FLATPAK_KEYS = { gpg_verify = true }

-- http(s)://, ftp:// or file:// followed by no spaces or quotes.
local function is_url(v)
  if type(v) ~= "string" then return false end
  local scheme = string.match(v, "^(%a+)://[^%s'\"]+$")
  return scheme == "http" or scheme == "https" or scheme == "ftp" or scheme == "file"
end

---Official Arch Linux repositories, fetched from one mirror.
---@param mirror string base URL of the mirror, e.g. "https://geo.mirror.pkgbuild.com"
---@return kodos.ArchRepo
function M.arch_repo(mirror)
  if not is_url(mirror) then
    error('repos.arch_repo: mirror must be a URL like "https://geo.mirror.pkgbuild.com", got ' .. show(mirror), 2)
  end
  return { type = "arch", mirror = mirror }
end

---The AUR: kodos builds "aur:" packages itself (makepkg, unprivileged) and installs the
---helper as an ordinary AUR package for the user's own use.
---@param helper string AUR helper, e.g. "yay" or "paru"
---@param url? string   git URL of the helper's PKGBUILD, e.g. "https://aur.archlinux.org/yay-bin.git"
---@param opts? { aur_url?: string } where the AUR is (default "https://aur.archlinux.org")
---@return kodos.AurRepo
function M.aur_repo(helper, url, opts)
  if type(helper) ~= "string" or not string.match(helper, "^[a-z0-9@_+][a-z0-9@._+-]*$") then
    error('repos.aur_repo: helper must be a package name like "yay" or "paru", got ' .. show(helper), 2)
  end
  if url ~= nil and not is_url(url) then
    error('repos.aur_repo: url must be a git URL like "https://aur.archlinux.org/'
      .. helper .. '.git", got ' .. show(url), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error('repos.aur_repo: the third argument must be a table like { aur_url = "https://aur.archlinux.org" }, got '
      .. show(opts), 2)
  end
  local aur_url = nil
  for key, value in pairs(opts or {}) do
    if key ~= "aur_url" then
      error("repos.aur_repo: unknown option " .. show(key) .. "; the one option is aur_url", 2)
    end
    aur_url = value
  end
  if aur_url ~= nil and not is_url(aur_url) then
    error('repos.aur_repo: aur_url must be a URL like "https://aur.archlinux.org" or file:///srv/aur, got '
      .. show(aur_url), 2)
  end
  return { type = "aur", helper = helper, url = url, aur_url = aur_url }
end

---A Flatpak remote, set up in the system installation of every generation.
---@param remote string remote name, e.g. "flathub"
---@param url? string   the remote's .flatpakrepo URL (or its repository URL); may be left out for flathub
---@param opts? kodos.FlatpakRepoOptions e.g. { gpg_verify = false } for an unsigned local repository
---@return kodos.FlatpakRepo
function M.flatpak_repo(remote, url, opts)
  if type(remote) ~= "string" or not string.match(remote, "^[%w_][%w._-]*$") then
    error('repos.flatpak_repo: remote must be a remote name like "flathub", got ' .. show(remote), 2)
  end
  if type(url) == "table" and opts == nil then
    url, opts = nil, url -- repos.flatpak_repo("flathub", { ... })
  end
  if url ~= nil and not is_url(url) then
    error('repos.flatpak_repo: url must be a URL like "https://dl.flathub.org/repo/flathub.flatpakrepo", got '
      .. show(url), 2)
  end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error("repos.flatpak_repo: options must be a table like { gpg_verify = false }, got " .. show(opts), 2)
  end
  local unknown = args.unknown_key(opts, FLATPAK_KEYS)
  if unknown ~= nil then
    error("repos.flatpak_repo: unknown option " .. show(unknown) .. " (known: gpg_verify)", 2)
  end
  if opts.gpg_verify ~= nil and type(opts.gpg_verify) ~= "boolean" then
    error("repos.flatpak_repo: gpg_verify must be true or false, got " .. show(opts.gpg_verify), 2)
  end
  return { type = "flatpak", remote = remote, url = url, gpg_verify = opts.gpg_verify }
end

return M
