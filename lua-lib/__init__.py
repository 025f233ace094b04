"""Marks lua-lib/ as the package `kodos.lualib`, so the Lua modules ship inside the wheel."""
