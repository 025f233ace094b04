-- lab-1: a classroom machine; the lab's extra packages come from the inventory (host.json).
local common = require("common")
local host = require("kodos.data").json("host.json")

local config = common.machine(host)
config.services.cups = { enable = true }
return config
