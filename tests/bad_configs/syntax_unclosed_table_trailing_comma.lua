-- expect: error: tests/bad_configs/syntax_unclosed_table_trailing_comma.lua:10: unexpected symbol near <eof>
-- expect-hint: the file ended too early: check that every { has its } and every function, if, for, while and do has its end
-- After a trailing comma Lua expects another item, so its own message names no table; a hint
-- has to say what "near <eof>" means.
return {
    packages = {
        "git",
        "htop",
    },
