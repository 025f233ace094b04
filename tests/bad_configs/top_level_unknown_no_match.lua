-- expect: error: frobnicate: unknown key (known keys here: repos, devices, boot, hardware, locale, network, users, desktop, fonts, packages, services)
return {
    frobnicate = true,
}
