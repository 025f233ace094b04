-- expect: error: tests/bad_configs/sandbox_require_missing.lua:4: require: module 'secrets' not found (looked for tests/bad_configs/secrets.lua and lua-lib/secrets.lua)
-- The message must not depend on where kodos is installed: the lua-lib directory is named,
-- not its absolute path.
local secrets = require("secrets")
return { users = { root = { hashed_password = secrets.root } } }
