"""systemd's rules and formats: unit enablement, systemd-boot's files."""
