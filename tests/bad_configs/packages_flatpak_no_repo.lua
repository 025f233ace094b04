-- expect: error: fonts.packages[1]: flatpak:com.github.tchx84.Flatseal needs a Flatpak remote: add one to repos with repos.flatpak_repo(...)
return {
    fonts = { packages = { "flatpak:com.github.tchx84.Flatseal" } },
}
