-- expect: error: locale.locale.extra_settings.LC_MESURE: unknown key 'LC_MESURE'; did you mean 'LC_MEASUREMENT'?
-- expect: error: locale.timezone: "America/New York" is not a valid time zone: a zoneinfo name such as Europe/Berlin or UTC
return {
    locale = {
        locale = {
            default = "en_CA.UTF-8 UTF-8",
            extra_settings = { LC_MESURE = "en_CA.UTF-8" },
        },
        timezone = "America/New York",
    },
}
