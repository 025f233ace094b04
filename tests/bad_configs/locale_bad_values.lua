-- expect: error: locale.locale.default: "en_CA.UTF-8" is not a valid locale: a locale.gen line such as "en_US.UTF-8 UTF-8"
-- expect: error: locale.locale.extra_settings.LC_TIME: "en GB" is not a valid locale name: a locale such as en_US.UTF-8
return {
    locale = {
        locale = {
            default = "en_CA.UTF-8",
            extra_settings = { LC_TIME = "en GB" },
        },
    },
}
