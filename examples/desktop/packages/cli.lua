-- Command-line tools for every machine. configuration.lua joins this list to
-- its own with `..`, which works because of `list{...}`.
return list{
  "bat",
  "btop",
  "fd",
  "fzf",
  "jq",
  "ripgrep",
  "rsync",
  "tmux",
  "unzip",
  "wget",
  "zoxide",
}
