-- expect: error: users["demo-user"].shell: expected a string, got a number
return {
    users = { ["demo-user"] = { shell = 5 } },
}
