-- expect: error: tests/bad_configs/syntax_unclosed_table.lua:8: '}' expected (to close '{' at line 3) near <eof>
-- The outer table is never closed: Lua names the line where the table opened.
return {
    packages = {
        "git",
        "htop",
    }
