-- expect: error: boot.kernel.package: "Linux-LTS" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .
return {
    boot = { kernel = { package = "Linux-LTS" } },
}
