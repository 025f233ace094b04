-- expect: error: network.hostname: "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh…" (30000000 characters) is not a valid host name: letters, digits and -, in dot-separated labels of at most 63
-- A value is echoed by its beginning and its length, never whole.
return { network = { hostname = string.rep("h", 30000000) } }
