-- expect: error: services.openssh.settings.Banner: a value must fit on one line
-- expect: error: services.openssh.settings.PrintMotd: a value must not end with a backslash (it would continue on the next line)
-- expect: error: services.openssh.settings["Bad Key"]: invalid key: "Bad Key" is not a valid setting name: letters, digits and _.- only
-- expect: error: hardware.bluetooth.settings.Name: a value must fit on one line
return {
    hardware = { bluetooth = { enable = true, settings = { Name = "box\r\nEnable=x" } } },
    services = {
        openssh = {
            enable = true,
            settings = {
                Banner = "a\nPermitRootLogin yes",
                PrintMotd = "no\\",
                ["Bad Key"] = 1,
                Port = 22,
            },
        },
    },
}
