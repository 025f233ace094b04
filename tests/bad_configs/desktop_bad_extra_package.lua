-- expect: error: desktop.desktop_manager.gnome.extra_packages[2]: "Gnome Shell Extensions" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .
return {
    desktop = {
        display_manager = "gdm",
        desktop_manager = {
            gnome = { enable = true, extra_packages = { "gnome-tweaks", "Gnome Shell Extensions" } },
        },
    },
}
