-- expect: error: users.ada.dotfile_manager.source_dir: "/srv/dotfiles" is not a path in the home: write it as ~/PATH (or relative to the home)
-- expect: error: users.ada.dotfile_manager.target_dir: "~/../bob" must not contain .. parts
-- expect: error: users.ada.files["/etc/motd"]: invalid key: "/etc/motd" is not a path in the home: write it as ~/PATH (or relative to the home)
-- expect: error: users.ada.files["~"]: invalid key: the home itself is not a file; name a file such as ~/.config/x
-- expect: error: users.ada.files["~bob/.bashrc"]: invalid key: "~bob/.bashrc" is not a path in the home: write it as ~/PATH (or relative to the home)
local configs = require("configs")
return {
    users = {
        ada = {
            dotfile_manager = configs.stow({ source_dir = "/srv/dotfiles", target_dir = "~/../bob" }),
            files = {
                ["/etc/motd"] = copy_file("motd"),
                ["~"] = copy_file("motd"),
                ["~bob/.bashrc"] = copy_file("motd"),
            },
        },
    },
}
