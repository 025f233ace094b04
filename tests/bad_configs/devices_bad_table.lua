-- expect: error: devices.disk0.device: "vda" is not a valid device path: an absolute path such as /dev/vda
-- expect: error: devices.disk0.swap_size: "3 bananas" is not a valid size: a size such as "4GB" or "512MiB"
return {
    devices = {
        disk0 = { type = "disk", device = "vda", swap_size = "3 bananas" },
    },
}
