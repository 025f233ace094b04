-- disk: the layout `kodos install` gives a whole disk.
--
-- A disk described here gets an EFI system partition, an optional swap
-- partition and one Btrfs partition for the rest. Only `kodos install`
-- acts on it: `kodos plan` and `kodos apply` never partition or format.
--
--   local disk = require("disk")
--   devices = { disk0 = disk.disk_definition("/dev/vda", "4GB") }
--   devices = { disk0 = disk.disk_definition("/dev/vda", nil, { esp_mount = "/boot" }) }

---@class kodos.Disk
---@field type "disk"
---@field device string     block device to lay out, e.g. "/dev/vda", "/dev/nvme0n1"
---@field swap_size? string size of the swap partition, e.g. "4GB" or "512MiB"; nil: no swap
---@field esp_mount? "/efi"|"/boot"|"/boot/efi" where the installed system mounts the ESP; nil: /efi

---@class kodos.DiskOptions
---@field esp_mount? "/efi"|"/boot"|"/boot/efi" where the installed system mounts the ESP (default /efi; /boot puts the kernels on it, as the Arch wiki's systemd-boot layout does)

---@class kodos.lib.disk
local M = {}

local args = require("kodos.args")
local show = args.show

-- "4G", "4GB", "1.5GiB", "512 MiB": a number above 0, then K/M/G/T, then nothing, B or iB.
local function is_size(v)
  if type(v) ~= "string" then return false end
  local amount, suffix = string.match(v, "^(%d+%.?%d*)%s*[KMGTkmgt](%a*)$")
  if not amount or string.sub(amount, -1) == "." or tonumber(amount) == 0 then return false end
  suffix = string.lower(suffix)
  return suffix == "" or suffix == "b" or suffix == "ib"
end

---Describe a disk for `kodos install`: boot + optional swap + Btrfs root.
---@param device string     the whole block device, e.g. "/dev/vda" (everything on it is erased at install)
---@param swap_size? string swap partition size: a number and a unit K/M/G/T (B or iB may follow), e.g. "4GB"
---@param options? kodos.DiskOptions
---@return kodos.Disk
function M.disk_definition(device, swap_size, options)
  if type(device) ~= "string" or not string.match(device, "^/dev/%S+$") then
    error('disk.disk_definition: device must be a string like "/dev/vda", got ' .. show(device), 2)
  end
  if swap_size ~= nil and not is_size(swap_size) then
    error('disk.disk_definition: swap_size must be a size like "4GB" or "512MiB" (leave it out for no swap), got '
      .. show(swap_size), 2)
  end
  local esp_mount = nil
  if options ~= nil then
    if type(options) ~= "table" then
      error("disk.disk_definition: options must be a table like { esp_mount = \"/boot\" }, got " .. show(options), 2)
    end
    for key in args.sorted_pairs(options) do
      if key ~= "esp_mount" then
        error("disk.disk_definition: options has no field " .. show(key) .. " (known: esp_mount)", 2)
      end
    end
    esp_mount = options.esp_mount
    if esp_mount ~= nil and esp_mount ~= "/efi" and esp_mount ~= "/boot" and esp_mount ~= "/boot/efi" then
      error('disk.disk_definition: options.esp_mount must be "/efi", "/boot" or "/boot/efi", got ' .. show(esp_mount), 2)
    end
  end
  return { type = "disk", device = device, swap_size = swap_size, esp_mount = esp_mount }
end

return M
