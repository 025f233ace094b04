"""kodos: a declarative, Lua-configured system manager for Arch Linux.

The data flows one way: configuration.lua → `kodos.lua` (sandboxed evaluation to plain data)
→ `kodos.config` (the validated model) → resources → plan → apply. See README.md.
"""

__version__ = "0.1.0"
