-- expect: error: locale.locale.extra_settings.LANG: LANG is en_CA.UTF-8 from locale.locale.default already; keep one of the two
-- expect: error: locale.locale.extra_settings.LC_TIME: de_DE.UTF-8 is not generated, so programs would fall back to the C locale
-- expect-hint: add "de_DE.UTF-8 UTF-8" to locale.locale.extra_generate
return {
    locale = {
        locale = {
            default = "en_CA.UTF-8 UTF-8",
            extra_settings = { LANG = "en_US.UTF-8", LC_TIME = "de_DE.UTF-8" },
        },
    },
}
