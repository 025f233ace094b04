-- The sddm display manager: its package and the unit that starts it at boot.
return {
  package = "sddm",
  unit = "sddm.service",
}
