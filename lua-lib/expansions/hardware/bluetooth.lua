-- Bluetooth: the BlueZ daemon, plus bluez-utils for bluetoothctl (without it a machine
-- without a desktop has no way to pair a device).
return {
  package = "bluez",
  extra_packages = { "bluez-utils" },
  unit = "bluetooth.service",
}
