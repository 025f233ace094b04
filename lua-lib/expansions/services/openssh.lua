-- OpenSSH server. settings go to a drop-in that sshd reads before the rest of its
-- configuration: Arch's sshd_config starts with `Include /etc/ssh/sshd_config.d/*.conf`,
-- and for sshd the FIRST value of a key wins, so kodos's drop-in sorts early (10-) to
-- override both sshd_config and later drop-ins such as the package's 99-archlinux.conf.
return {
  package = "openssh",
  unit = "sshd.service",
  settings = { path = "/etc/ssh/sshd_config.d/10-kodos.conf", format = "sshd" },
}
