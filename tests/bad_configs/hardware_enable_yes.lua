-- expect: error: hardware.bluetooth.enable: expected a boolean (true or false), got a string
return {
    hardware = {
        bluetooth = { enable = "yes", package = "bluez" },
    },
}
