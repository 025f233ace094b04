-- expect: error: services.virtualisation.services.docker.enable: expected a boolean (true or false), got a string
-- expect: error: services.virtualisation.services.libvirtd.service_name: "libvirtd service" is not a valid systemd unit name: letters, digits and :_.@- only, e.g. sshd or sshd.service
return {
    services = {
        virtualisation = {
            enable = true,
            services = {
                libvirtd = { enable = true, package = "libvirt", service_name = "libvirtd service" },
                docker = { enable = "true" },
            },
        },
    },
}
