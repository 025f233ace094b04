-- expect: error: boot.loader.timeout: expected an integer, got 2.5
-- "expected an integer, got a number" would leave the reader wondering: 2.5 is a number.
return {
    boot = { loader = { timeout = 2.5 } },
}
