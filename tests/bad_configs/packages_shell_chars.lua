-- expect: error: packages[2]: "htop; rm -rf /" is not a valid package name: lowercase letters, digits and @._+- only, not starting with - or .
return {
    packages = { "git", "htop; rm -rf /" },
}
