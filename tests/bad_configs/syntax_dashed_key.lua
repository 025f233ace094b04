-- expect: error: tests/bad_configs/syntax_dashed_key.lua:6: '}' expected (to close '{' at line 5) near '='
-- expect-hint: a key with a dash must be quoted: write ["demo-user"] = instead of demo-user =
-- The upstream README's mistake: a key with a dash must be quoted.
return {
    users = {
        demo-user = {
            shell = "/bin/bash",
        },
    },
}
