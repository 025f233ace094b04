-- expect: error: tests/bad_configs/devices_bad_swap_helper.lua:5: disk.disk_definition: swap_size must be a size like "4GB" or "512MiB" (leave it out for no swap), got "3 bananas"
local disk = require("disk")
return {
    devices = {
        disk0 = disk.disk_definition("/dev/vda", "3 bananas"),
    },
}
