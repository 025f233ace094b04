-- libvirt's system daemon; the package creates the libvirt group (members manage VMs
-- without root).
return {
  package = "libvirt",
  unit = "libvirtd.service",
  groups = { "libvirt" },
}
