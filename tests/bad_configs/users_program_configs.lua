-- expect: error: users.alice.programs.emacs.config: missing key 'type'; build it with a configs.* helper
-- expect: error: users.alice.programs.git.config.settings.user_name: invalid key: "user_name" is not a valid git config key: section.name or section.subsection.name, such as user.name
-- expect: error: users.alice.programs.git.config.settings["user.email"]: expected a string, number or boolean, got a table with named keys
-- expect: error: users.alice.programs.vim.config: unknown type 'vim'; expected one of 'git', 'dconf', 'syncthing', 'mount', 'mount_unit', 'stow'
-- Program configs written by hand instead of with the configs.* helpers.
return {
    users = {
        alice = {
            programs = {
                git = { enable = true, config = { type = "git", settings = { user_name = 5, ["user.email"] = { a = 1 } } } },
                vim = { enable = true, config = { type = "vim" } },
                emacs = { enable = true, config = {} },
            },
        },
    },
}
