-- Development tools. Delete the require line in configuration.lua to leave
-- them all out, or add names here to add them.
return list{
  "base-devel",
  "git",
  "git-delta",
  "github-cli",
  "python",
  "python-pipx",
  "rustup",
  "go",
  "nodejs",
  "npm",
  "podman",
  "aur:visual-studio-code-bin",
}
