-- expect: error: services.web.services…: tables nested more than 64 deep (does a table contain itself?)
local web = { enable = true }
web.services = { again = web }
return { services = { web = web } }
