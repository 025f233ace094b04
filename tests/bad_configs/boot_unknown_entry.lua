-- expect: error: boot.loader.include[2]: kodos does not know the boot entry nosuch
-- expect-hint: add expansions/boot/nosuch.lua with its title and efi program
return { boot = { loader = { include = { "memtest86+", "nosuch" } } } }
