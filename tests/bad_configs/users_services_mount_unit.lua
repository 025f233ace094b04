-- expect: error: users.ada.services.data: configs.mount makes a system mount unit; a user's services cannot hold it
-- expect-hint: move it under the top-level services
local configs = require("configs")
local data = configs.mount({ name = "mnt-data", type = "cifs", what = "//nas/share", where = "/mnt/data" })
return { users = { ada = { services = { data = data } } } }
