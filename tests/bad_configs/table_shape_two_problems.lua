-- expect: error: packages: a table mixes list items with named keys; use one or the other
-- expect: error: services.sshd.settings.port: a function is not a configuration value
return {
    packages = { "git", extra = "vim" },
    services = {
        sshd = { enable = true, settings = { port = function() return 22 end } },
    },
}
