-- expect: error: users.alice.password: expected a string, got a number
-- expect: error: users.bob.hashed_password: expected a string, got a number
-- expect-absent: 271828
return {
    users = {
        alice = { password = 314159 },
        bob = { hashed_password = 271828 },
    },
}
