-- expect: error: tests/bad_configs/runtime_error_call.lua:4: this configuration is for the desktop only
local machine = "laptop"
if machine ~= "desktop" then
    error("this configuration is for the desktop only")
end
return {}
