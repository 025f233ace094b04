-- expect: error: tests/bad_configs/require_types_module.lua:3: types.lua holds editor type definitions only; do not require it
-- lua-lib/types.lua is for the language server; requiring it fails at the requiring line.
local types = require("types")
return {}
