-- expect: error: network.hostname: a function is not a configuration value
return {
    network = {
        hostname = function() return "laptop" end,
    },
}
