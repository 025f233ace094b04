-- expect: error: boot.kernel.modules[2]: "virtio blk" is not a valid kernel module: letters, digits, _ and - only
-- expect: error: boot.loader.type: unknown value 'grub'; expected one of systemd-boot
-- expect: error: boot.loader.timeout: must be at least 0
return {
    boot = {
        kernel = { modules = { "xhci_pci", "virtio blk" } },
        loader = { type = "grub", timeout = -1 },
    },
}
