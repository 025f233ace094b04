-- common.lua: what every machine of the fleet has. Each host's configuration.lua requires it
-- (`require("common")`, found through `--lua-path`: the playbook passes the shared directory)
-- and hands it the host's variables, which Ansible writes as host.json beside the
-- configuration — data, never templated Lua.

local M = {}

---The configuration every host starts from.
---@param host table the host's variables (host.json)
---@return table
function M.machine(host)
  local packages = { "sudo", "git", "htop", "openssh" }
  for _, name in ipairs(host.packages or {}) do
    packages[#packages + 1] = name
  end
  return {
    boot = {
      kernel = { package = "linux" },
      loader = { type = "systemd-boot", timeout = 2 },
    },
    locale = { timezone = host.timezone or "UTC" },
    network = { hostname = host.hostname },
    packages = packages,
    services = { openssh = { enable = true, service_name = "sshd" } },
    users = {
      root = { no_password = true },
      admin = {
        name = "Fleet administrator",
        -- A hash, not a password: `openssl passwd -6`. The plan shows it as (sensitive).
        hashed_password = host.admin_password_hash,
        extra_groups = { "wheel" },
      },
    },
  }
end

return M
