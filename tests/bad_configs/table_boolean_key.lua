-- expect: error: hardware: table keys must be names or list positions, not the boolean true
return {
    hardware = {
        [true] = { enable = true },
    },
}
