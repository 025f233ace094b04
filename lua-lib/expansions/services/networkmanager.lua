-- NetworkManager: the package is lowercase, the unit is not.
return {
  package = "networkmanager",
  unit = "NetworkManager.service",
}
