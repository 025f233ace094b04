-- PipeWire audio and video. No units to enable: Arch's pipewire package ships its own link
-- /usr/lib/systemd/user/sockets.target.wants/pipewire.socket (pipewire-pulse does the same
-- for its socket, wireplumber hooks itself into pipewire.service), so every user session
-- starts them already. `systemctl --global enable` would only add duplicate links under
-- /etc/systemd/user that kodos would then have to keep in step. The session manager
-- (wireplumber) comes in as a dependency of pipewire.
return {
  package = "pipewire",
}
