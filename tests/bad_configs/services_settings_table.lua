-- expect: error: services.printing.settings.listen: expected a string, number or boolean, got a list
return {
    services = {
        printing = {
            enable = true,
            package = "cups",
            settings = { listen = { "localhost:631" } },
        },
    },
}
