-- expect: error: packages[1]: "" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .
return {
    packages = { "" },
}
