-- expect: error: tests/bad_configs/users_dotfile_manager_helper.lua:5: dotfile_manager.stow: unknown option "source" (known: source_dir, target_dir, repo_url)
local dotmgr = require("dotfile_manager")
return {
    users = {
        alice = { dotfile_manager = dotmgr.stow({ source = "~/dotfiles" }) },
    },
}
