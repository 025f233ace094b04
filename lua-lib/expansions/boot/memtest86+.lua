-- Memtest86+ as a systemd-boot entry. On Arch the EFI build is its own package,
-- memtest86+-efi (memtest86+ is the BIOS build); it installs /boot/memtest86+/memtest.efi,
-- which systemd-boot names relative to the ESP mounted at /boot.
return {
  package = "memtest86+-efi",
  title = "Memtest86+",
  efi = "/memtest86+/memtest.efi",
}
