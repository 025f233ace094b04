-- expect: error: users.alice.hashed_password: not a crypt(3) password hash (such as the output of `openssl passwd -6`)
-- expect-absent: hunter2-not-a-hash
return {
    users = {
        alice = { hashed_password = "hunter2-not-a-hash" },
    },
}
