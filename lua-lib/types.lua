---@meta
-- types: definitions for lua-language-server only; nothing here runs.
--
-- With lua-lib/ on the language server's library path (see the .luarc.json
-- next to each example), a configuration gets completion and checks when it
-- marks its table:
--
--   ---@type kodos.Config
--   local config = { ... }
--   return config
--
-- The classes returned by the helper modules (kodos.Disk, kodos.Repo,
-- kodos.Stow, kodos.GitConfig, ...) are declared in those modules.

-- The stubs below would replace the real helper globals if this file ran.
error("types.lua holds editor type definitions only; do not require it", 3)

---@class kodos.Config
---@field repos? table<string, kodos.Repo>       package sources, e.g. { arch = ..., aur = ..., flatpak = ... }
---@field devices? table<string, kodos.Disk>     disks for `kodos install`
---@field boot? kodos.Boot
---@field hardware? table<string, kodos.HardwareItem> e.g. bluetooth, pipewire
---@field locale? kodos.LocaleSection
---@field network? kodos.Network
---@field users? table<string, kodos.User>       login name → user
---@field desktop? kodos.Desktop
---@field fonts? kodos.Fonts
---@field packages? string[]                     "name", "aur:name" or "flatpak:app.id"
---@field services? table<string, kodos.Service | kodos.MountUnit> system services

---@class kodos.Boot
---@field kernel? kodos.Kernel
---@field loader? kodos.Loader

---@class kodos.Kernel
---@field package? string   kernel package, e.g. "linux" or "linux-lts"
---@field modules? string[] modules for the initramfs
---@field options? string[] the kernel command line (root= aside), e.g. { "quiet" }; unset: kept from the machine

---@class kodos.Loader
---@field type? string      boot loader, e.g. "systemd-boot"
---@field timeout? integer  seconds the boot menu waits
---@field include? string[] extra menu entries, e.g. { "memtest86+" }

---@class kodos.HardwareItem
---@field enable? boolean
---@field package? string
---@field service_name? string
---@field extra_packages? string[]
---@field settings? table<string, string|number|boolean>

---@class kodos.LocaleSection
---@field locale? kodos.Locale
---@field keymap? string   console keymap, e.g. "us", "de-latin1"
---@field timezone? string e.g. "Europe/Berlin"

---@class kodos.Locale
---@field default? string                      locale.gen line, e.g. "en_US.UTF-8 UTF-8"
---@field extra_generate? string[]             more locale.gen lines
---@field extra_settings? table<string, string> LC_* overrides, e.g. { LC_TIME = "en_GB.UTF-8" }

---@class kodos.Network
---@field hostname? string
---@field ipv6? boolean

---@class kodos.User
---@field name? string            full name (GECOS)
---@field password? string        plain text: avoid it, prefer hashed_password
---@field hashed_password? string crypt(3) hash, e.g. from `openssl passwd -6`
---@field no_password? boolean    the account has no password
---@field shell? string           e.g. "/bin/zsh"
---@field extra_groups? string[]  e.g. { "wheel", "audio" }
---@field dotfile_manager? kodos.Stow
---@field programs? table<string, kodos.Program>
---@field deploy_configs? string[] dotfile packages to deploy that belong to no program
---@field files? table<string, kodos.CopyFile> home path ("~/.config/x") → copy_file("x")
---@field services? table<string, kodos.Service> user services

---@class kodos.Program
---@field enable? boolean
---@field package? string
---@field config? kodos.ProgramConfig
---@field deploy_config? boolean  let the dotfile manager deploy this program's config
---@field extra_packages? string[]

---@class kodos.Desktop
---@field display_manager? string e.g. "gdm", "sddm"
---@field desktop_manager? table<string, kodos.DesktopManager>

---@class kodos.DesktopManager
---@field enable? boolean
---@field display_manager? string used when desktop.display_manager is not set; without it, the desktop's default applies only if no display manager is set elsewhere
---@field extra_packages? string[]
---@field exclude_packages? string[] packages of the desktop's default set to leave out

---@class kodos.Fonts
---@field font_dir? boolean
---@field packages? string[]

---@class kodos.Service
---@field enable? boolean
---@field package? string
---@field service_name? string    systemd unit, when it differs from the key
---@field extra_packages? string[]
---@field settings? table<string, string|number|boolean>
---@field config? kodos.ProgramConfig
---@field mount? kodos.MountConfig | kodos.MountUnit
---@field services? table<string, kodos.Service | kodos.MountUnit> sub-services of a group, or configs.mount{ name = ... } units

-- Helper globals the evaluator defines.

---Make `t` a list: `a .. b` appends b's items to a.
---@generic T: table
---@param t T
---@return T
function list(t) end

---Make `t` a map: `a .. b` merges b's keys into a.
---@generic T: table
---@param t T
---@return T
function map(t) end

---`value` when `cond` holds; otherwise `{}` for a table value and nil for anything else.
---@generic V
---@param cond any
---@param value V
---@return V
function If(cond, value) end

---`a` when `cond` holds, otherwise `b`.
---@generic A, B
---@param cond any
---@param a A
---@param b B
---@return A|B
function IfElse(cond, a, b) end

---A file of the configuration directory, copied into the home (`users.NAME.files`). Defined
---by `require("configs")`, as upstream's.
---@param source string relative to the configuration directory, without ".."
---@return kodos.CopyFile
function copy_file(source) end

---Read-only path helpers; they only work on strings, never on the file system.
---@class kodos.PathHelpers
---@field config_dir string  directory of the configuration being evaluated
---@field separator string   "/"
---@field join fun(...: string): string     join parts; an absolute part restarts the path
---@field basename fun(p: string): string   last component
---@field dirname fun(p: string): string    everything before the last component

---@type kodos.PathHelpers
path = {}
