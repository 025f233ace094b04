-- GNOME: the gnome package group (exclude_packages leaves members out), shown by GDM.
return {
  group = "gnome",
  display_manager = "gdm",
}
