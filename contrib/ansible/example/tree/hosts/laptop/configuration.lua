-- laptop: the common machine, with Bluetooth and sound.
local common = require("common")
local host = require("kodos.data").json("host.json")

local config = common.machine(host)
config.hardware = {
  bluetooth = { enable = true, package = "bluez", service_name = "bluetooth" },
  pipewire = { enable = true },
}
return config
