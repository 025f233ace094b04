# Copied into ~/.config/fish/conf.d by copy_file (see configuration.lua).
set -g fish_greeting "Welcome back, Alice."
