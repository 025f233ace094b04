-- expect: error: network.ipv6: expected a boolean (true or false), got a number
-- expect: error: users.alice.extra_groups[2]: "Audio" is not a valid group name: lowercase letters, digits, _ and -, starting with a letter or _, at most 32
-- expect: error: packages[2]: "htop; rm -rf /" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .
-- Independent problems in different sections are all reported at once.
return {
    network = { hostname = "laptop", ipv6 = 0 },
    users = { alice = { shell = "/bin/zsh", extra_groups = { "wheel", "Audio" } } },
    packages = { "git", "htop; rm -rf /" },
}
