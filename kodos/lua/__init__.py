"""Sandboxed evaluation of Lua configurations (lupa's Lua 5.4 runtime)."""
