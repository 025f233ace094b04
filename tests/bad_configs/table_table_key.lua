-- expect: error: packages: table keys must be names or list positions, not a table
return { packages = { [{}] = "htop" } }
