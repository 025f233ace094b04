-- expect: error: network.hostname: "my_laptop" is not a valid host name: letters, digits and -, in dot-separated labels of at most 63
-- expect: error: network.ipv6: expected a boolean (true or false), got a string
return {
    network = {
        hostname = "my_laptop",
        ipv6 = "no",
    },
}
