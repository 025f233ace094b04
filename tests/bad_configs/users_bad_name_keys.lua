-- expect: error: users.Alice: invalid key: "Alice" is not a valid user name: lowercase letters, digits, _ and -, starting with a letter or _, at most 32
-- expect: error: users["bob smith"]: invalid key: "bob smith" is not a valid user name: lowercase letters, digits, _ and -, starting with a letter or _, at most 32
return {
    users = {
        Alice = { shell = "/bin/bash" },
        ["bob smith"] = { shell = "/bin/bash" },
    },
}
