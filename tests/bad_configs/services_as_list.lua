-- expect: error: services: expected a table of named entries, got a list
return {
    services = { "sshd", "cups" },
}
