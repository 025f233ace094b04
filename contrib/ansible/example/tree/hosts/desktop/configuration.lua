-- desktop: the common machine and nothing else; what differs lives in host.json.
local common = require("common")
local host = require("kodos.data").json("host.json")

return common.machine(host)
