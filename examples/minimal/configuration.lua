-- The smallest useful kodos configuration: a name for the machine, one user
-- and a few packages. Everything left out keeps kodos's defaults.
--
-- A configuration is a Lua file that returns one table. Check it, see what
-- would change, then apply it:
--
--   kodos validate -c examples/minimal
--   kodos plan     -c examples/minimal
--   kodos apply    -c examples/minimal
--
-- examples/testvm shows every section there is.

return {
  network = {
    hostname = "arch-box",
  },

  users = {
    sam = {
      name = "Sam",
      -- Made with `openssl passwd -6` (the password is "kodos"). Put your own
      -- hash here; a plain-text password does not belong in a config file.
      hashed_password = "$6$kU.7yTW8t1moJO3R$.hLsZd13er8Yu0rO2F77u1F/3yu5kZOVeEwKEhLjs1sLu0QO5VQK0L.QXEr315TCfAjTwcnREbVot/aKCfPDn1",
      extra_groups = { "wheel" }, -- may use sudo
    },
  },

  -- Installed from the Arch repositories. Remove a name and the next apply
  -- removes the package again (only packages kodos installed are touched).
  packages = {
    "sudo",
    "git",
    "htop",
    "neovim",
  },
}
