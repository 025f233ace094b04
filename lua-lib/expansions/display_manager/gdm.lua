-- The gdm display manager: its package and the unit that starts it at boot.
return {
  package = "gdm",
  unit = "gdm.service",
}
