"""Applying plans: `execute` changes a root as a plan says (`kodos.apply.execute`, one module
per provider beside it), and the transaction builds a generation around it
(`kodos.apply.transaction`)."""
