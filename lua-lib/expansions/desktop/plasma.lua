-- KDE Plasma: the plasma package group, shown by SDDM.
return {
  group = "plasma",
  display_manager = "sddm",
}
