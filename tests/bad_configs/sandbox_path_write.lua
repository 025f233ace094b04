-- expect: error: tests/bad_configs/sandbox_path_write.lua:3: path is read-only
-- path is a read-only table of helpers.
path.config_dir = "/"
return {}
