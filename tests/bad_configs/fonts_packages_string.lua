-- expect: error: fonts.packages: expected a list, got a string
return {
    fonts = { packages = "noto-fonts" },
}
