-- expect: error: users.alice: password and hashed_password exclude each other; keep one
-- expect-absent: hunter2
return {
    users = {
        alice = {
            password = "hunter2",
            hashed_password = "$6$salt$4eXhZ1Q3n0c2m6pN3o2d9L8tq1Yk5v7a",
        },
    },
}
