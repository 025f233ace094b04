-- expect: error: network.ipv6: expected a boolean (true or false), got a string
-- (the missing AUR repository is reported once the schema problems are fixed: the
-- cross-section checks need a valid model)
-- A type error elsewhere must not hide the missing AUR repository: every problem is reported.
return {
    network = { hostname = "laptop", ipv6 = "no" },
    packages = { "aur:yay-bin" },
}
