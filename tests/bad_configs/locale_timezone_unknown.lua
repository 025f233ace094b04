-- expect: error: locale.timezone: "Europe/Berlinn" is not a time zone zoneinfo knows; did you mean 'Europe/Berlin'?
return { locale = { timezone = "Europe/Berlinn" } }
