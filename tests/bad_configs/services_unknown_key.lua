-- expect: error: services.sshd.servce_name: unknown key; did you mean 'service_name'?
return {
    services = {
        sshd = { enable = true, package = "openssh", servce_name = "sshd" },
    },
}
