-- LightDM shows nothing without a greeter; lightdm-gtk-greeter is the one its default
-- configuration names.
return {
  package = "lightdm",
  extra_packages = { "lightdm-gtk-greeter" },
  unit = "lightdm.service",
}
