"""`kodos install`: a disk (or an image file) from nothing to a bootable generation 1.

See docs/install.md. `run.install` is the entry point: `checks` refuses bad input before
anything is written and establishes what the build needs (`options.Prepared`), `disk` reads
what is on the device now (the layout it gets is `kodos.disklayout`), `image` attaches
`--image` files, `build` runs the steps — `storage` (partitions, filesystems, subvolumes),
`system` (pacman.conf, base system, fstab), `esp` (systemd-boot, mtools) — and commits with
apply's own pieces.
"""
