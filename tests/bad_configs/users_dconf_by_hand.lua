-- expect: error: users.ada.programs.dconf.config.settings["/org/gnome/mutter/"]: invalid key: "/org/gnome/mutter/" is not a valid dconf directory: a path such as org/gnome/desktop/interface, without leading or trailing /
-- expect: error: users.ada.programs.dconf.config.settings["/org/gnome/mutter/"].dynamic_workspaces: invalid key: "dynamic_workspaces" is not a valid dconf key: letters, digits and - (GSettings key names)
-- expect: error: users.ada.programs.dconf.config.settings["org/gnome/shell"]["favorite-apps"]: a dconf list holds strings, booleans or numbers, all of one kind
-- expect: error: users.ada.programs.dconf.config.settings["org/gnome/shell"].x: expected a string, boolean, number or list, got a table with named keys
-- A dconf config written by hand instead of with configs.dconf.
return {
    users = {
        ada = {
            programs = {
                dconf = {
                    enable = true,
                    config = {
                        type = "dconf",
                        settings = {
                            ["/org/gnome/mutter/"] = { dynamic_workspaces = false },
                            ["org/gnome/shell"] = { ["favorite-apps"] = { "a", true }, ["x"] = { a = 1 } },
                        },
                    },
                },
            },
        },
    },
}
