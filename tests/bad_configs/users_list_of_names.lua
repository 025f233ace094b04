-- expect: error: users: expected a table of named entries, got a list
-- "expected a table, got a table" would be no help: say which kind of table.
return {
    users = { "alice", "bob" },
}
