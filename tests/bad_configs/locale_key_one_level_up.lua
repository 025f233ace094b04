-- expect: error: locale.default: unknown key; did you mean locale.locale.default? ('default' belongs one level down, in locale.locale)
-- expect: error: locale.extra_settings: unknown key; did you mean locale.locale.extra_settings? ('extra_settings' belongs one level down, in locale.locale)
-- expect: error: timezone: unknown key; did you mean locale.timezone? ('timezone' belongs one level down, in locale)
-- expect: error: boot.timeout: unknown key; did you mean boot.loader.timeout? ('timeout' belongs one level down, in boot.loader)
return {
    locale = {
        default = "en_CA.UTF-8 UTF-8",
        extra_settings = { LC_TIME = "en_CA.UTF-8" },
        keymap = "us",
    },
    timezone = "America/Edmonton",
    boot = { timeout = 3 },
}
