-- expect: error: desktop.desktop_manager["gnome shell"]: invalid key: "gnome shell" is not a valid name: letters, digits and _.@+- only
return {
    desktop = {
        desktop_manager = { ["gnome shell"] = { enable = true } },
    },
}
