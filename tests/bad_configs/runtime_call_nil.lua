-- expect: error: tests/bad_configs/runtime_call_nil.lua:4: attempt to call a nil value (global 'make_package_list')
-- A helper that was never defined.
return {
    packages = make_package_list("git", "htop"),
}
