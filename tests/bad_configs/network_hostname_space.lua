-- expect: error: network.hostname: "my laptop" is not a valid host name: letters, digits and -, in dot-separated labels of at most 63
return {
    network = { hostname = "my laptop" },
}
