-- Firmware updates. No unit to enable: on Arch fwupd.service is static and D-Bus activated
-- (fwupdmgr and GNOME Software start it on demand); the refresh timer is left to the user.
return {
  package = "fwupd",
}
