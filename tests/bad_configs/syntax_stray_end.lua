-- expect: error: tests/bad_configs/syntax_stray_end.lua:8: <eof> expected near 'end'
-- expect-hint: this end has no block to close: remove it, or check the function, if, for, while or do above it
-- One `end` too many: Lua's own message ("<eof> expected") needs a hint.
local packages = { "git" }
if #packages > 0 then
    packages[#packages + 1] = "htop"
end
end
return { packages = packages }
