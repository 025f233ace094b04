-- expect: error: users.alice.programs.emacs.config: missing key 'type'; build it with a configs.* helper
-- expect: error: users.alice.programs.git.config.user_name: expected a string, got a number
-- expect: error: users.alice.programs.vim.config: unknown type 'vim'; expected one of 'git', 'dconf', 'syncthing', 'mount', 'stow'
-- Program configs written by hand instead of with the configs.* helpers.
return {
    users = {
        alice = {
            programs = {
                git = { enable = true, config = { type = "git", user_name = 5 } },
                vim = { enable = true, config = { type = "vim" } },
                emacs = { enable = true, config = {} },
            },
        },
    },
}
