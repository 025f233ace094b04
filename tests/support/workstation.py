"""A large workstation configuration, as a person would write it: what benchmarks/validate.py
validates.

`write_workstation(directory, lines=1000)` writes configuration.lua and two `require`d sibling
modules returning package lists, about `lines` lines in all, using every section: hundreds of
packages one per line (`aur:` and `flatpak:` ones among them), many services with settings,
several users with programs and dotfiles, locale settings, hardware, desktop, fonts. The fixed
parts are written out as Lua; only users, services and packages repeat, padded with packages
to the size asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count, islice
from pathlib import Path
from string import Template

MODULES = ("packages_dev", "packages_media")  # the `require`d sibling modules

# ---- name pools ----------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ARCH_PACKAGES = words("""
    base linux-firmware intel-ucode amd-ucode btrfs-progs dosfstools e2fsprogs exfatprogs
    ntfs-3g sudo man-db man-pages texinfo less which tree file unzip zip p7zip unrar rsync wget
    curl aria2 openssh gnupg pass htop btop iotop lsof strace ltrace gdb valgrind perf tmux
    screen zsh fish bash-completion starship fzf ripgrep fd bat eza zoxide jq yq tldr neovim
    vim emacs nano helix git git-lfs git-delta lazygit github-cli tig meld diffutils patch make
    cmake ninja meson autoconf automake pkgconf gcc clang llvm lld mold rustup go nodejs npm
    yarn pnpm deno python python-pip python-pipx python-poetry uv ruby lua luarocks jdk-openjdk
    maven gradle kotlin scala sbt dotnet-sdk php composer sqlite postgresql-libs mariadb-clients
    redis docker-compose podman buildah skopeo kubectl helm k9s terraform ansible packer vagrant
    qemu-full virt-manager virt-viewer dnsmasq iptables-nft nftables wireguard-tools openvpn
    tailscale bind nmap tcpdump wireshark-qt mtr iperf3 traceroute whois ethtool iw firefox
    chromium thunderbird keepassxc signal-desktop telegram-desktop discord element-desktop
    libreoffice-fresh hunspell-en_us okular evince zathura zathura-pdf-mupdf calibre inkscape
    gimp krita darktable rawtherapee blender kdenlive obs-studio audacity ardour mpv vlc
    ffmpeg yt-dlp imagemagick graphicsmagick pandoc texlive-basic texlive-latexextra
    ghostscript poppler qpdf ocrmypdf tesseract tesseract-data-eng syncthing restic borg
    rclone snapper snap-pac grub-btrfs smartmontools hdparm nvme-cli lm_sensors powertop
    acpi tlp brightnessctl playerctl pavucontrol easyeffects helvum alacritty kitty foot
    wezterm ghostty nautilus file-roller gnome-disk-utility gparted baobab flameshot
    xdg-utils xdg-user-dirs xdg-desktop-portal-gnome wl-clipboard cliphist grim slurp
""")
LIBRARY_WORDS = words("""
    requests numpy scipy pandas matplotlib pillow lxml yaml toml click rich typer attrs
    pydantic httpx aiohttp flask django jinja markupsafe pygments pytest hypothesis black
    mypy sphinx docutils babel cryptography paramiko psutil dateutil pytz tqdm regex
    chardet idna urllib3 certifi six setuptools wheel packaging pyparsing decorator
""")
LIBRARY_PREFIXES = ("python", "perl", "ruby", "lua", "haskell", "nodejs", "rust", "go")
AUR_PACKAGES = words("""
    yay-bin paru-bin visual-studio-code-bin google-chrome spotify slack-desktop zoom
    1password dropbox insync teams-for-linux brave-bin librewolf-bin floorp-bin zen-browser-bin
    ttf-ms-fonts timeshift pamac-aur downgrade auto-cpufreq envycontrol
""")
FLATPAK_APPS = words("""
    com.spotify.Client com.valvesoftware.Steam org.gimp.GIMP org.inkscape.Inkscape
    com.obsproject.Studio org.videolan.VLC com.discordapp.Discord org.signal.Signal
    md.obsidian.Obsidian com.github.tchx84.Flatseal org.mozilla.Thunderbird
    io.github.flattool.Warehouse org.gnome.Boxes com.usebottles.bottles
""")
USER_NAMES = ("alice", "bob", "carol", "demo-user", "erin", "frank", "grace", "heidi")
HASH = "$6$yYGlozWudGJ1pYBQ$90qFejr24w6sfZOYTFsRWw7sxxZwHBX5OmJhgGzEJ2QO.draeiLNRYAXbOjpOTV55KAuQeub.6l4wWuvsaTBl."

# name, package, unit, extra packages, settings
ServiceEntry = tuple[str, str | None, str | None, tuple[str, ...], dict[str, object]]
SERVICES: tuple[ServiceEntry, ...] = (
    ("networkmanager", None, "NetworkManager", ("networkmanager-openvpn",), {}),
    ("cups", None, None, ("gutenprint", "cups-pdf"), {"Browsing": False, "MaxJobs": 100}),
    ("fwupd", None, None, (), {}),
    ("smartd", "smartmontools", None, (), {"DEVICESCAN": "-a -o on -S on"}),
    ("chronyd", "chrony", None, (), {"makestep": "1.0 3", "rtcsync": True}),
    ("postgresql", None, None, ("postgresql-old-upgrade",), {"max_connections": 200}),
    ("nginx", None, None, ("certbot", "certbot-nginx"), {"worker_processes": "auto"}),
    ("redis", None, None, (), {"maxmemory": "256mb", "appendonly": True}),
    ("prometheus", None, None, ("prometheus-node-exporter",), {"scrape_interval": "15s"}),
    ("grafana", None, None, (), {"http_port": 3000, "allow_sign_up": False}),
    ("tailscale", None, "tailscaled", (), {"accept_routes": True}),
    ("avahi", None, "avahi-daemon", ("nss-mdns",), {"use-ipv6": True}),
)
WORKER_SETTINGS = ("LogLevel", "Port", "Workers", "CacheDir", "Compress", "RetrySeconds")

# ---- Lua text helpers ----------------------------------------------------------------------


def lua_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def lua_key(key: str) -> str:
    return key if key.isidentifier() and key.isascii() else f"[{lua_value(key)}]"


def lua_list(items: tuple[str, ...] | list[str]) -> str:
    return "{ " + ", ".join(lua_value(item) for item in items) + " }"


def _plain_names() -> Iterator[str]:
    yield from ARCH_PACKAGES
    for prefix in LIBRARY_PREFIXES:
        for word in LIBRARY_WORDS:
            yield f"{prefix}-{word}"
    for i in count():
        yield f"local-tool{i}"


def package_specs() -> Iterator[str]:
    """Unique package specs: mostly Arch names, every 13th from the AUR, every 23rd a Flatpak."""
    aur = iter(AUR_PACKAGES)
    flatpak = iter(FLATPAK_APPS)
    plain = _plain_names()
    for i in count():
        if i % 13 == 6:
            yield "aur:" + next(aur, f"aur-tool{i}-git")
        elif i % 23 == 11:
            yield "flatpak:" + next(flatpak, f"io.github.example.App{i}")
        else:
            yield next(plain)


def package_lines(indent: int, specs: list[str]) -> list[str]:
    pad = "  " * indent
    lines = []
    for spec in specs:
        note = ""
        if spec.startswith("aur:"):
            note = " -- built from the AUR"
        elif spec.startswith("flatpak:"):
            note = " -- from Flathub"
        lines.append(f"{pad}{lua_value(spec)},{note}")
    return lines


# ---- sections ------------------------------------------------------------------------------
# Fixed parts are written out as Lua; the generator only repeats users, services and packages.

HEADER = """\
-- A large workstation configuration generated by tests/support/workstation.py.
local disk = require("disk")
local repos = require("repos")
local dotmgr = require("dotfile_manager")
local configs = require("configs")

local lang = "en_US.UTF-8"
local with_dev_tools = true

-- Every regional setting except messages follows Canadian usage.
local regional = {}
for _, category in ipairs({ "LC_ADDRESS", "LC_MEASUREMENT", "LC_MONETARY",
  "LC_NAME", "LC_NUMERIC", "LC_PAPER", "LC_TELEPHONE", "LC_TIME" }) do
  regional[category] = "en_CA.UTF-8"
end

---@type kodos.Config
local config = {"""

SYSTEM = """\
  repos = {
    arch = repos.arch_repo("https://geo.mirror.pkgbuild.com"),
    aur = repos.aur_repo("yay", "https://aur.archlinux.org/yay-bin.git"),
    flatpak = repos.flatpak_repo("flathub"),
  },
  devices = {
    disk0 = disk.disk_definition("/dev/nvme0n1", "16GB"),
  },
  boot = {
    kernel = {
      package = "linux-zen",
      modules = {
        "nvme",
        "ahci",
        "xhci_pci",
        "usbhid",
        "i915",
      },
    },
    loader = { type = "systemd-boot", timeout = 3, include = { "memtest86+" } },
  },
  hardware = {
    bluetooth = { enable = true, package = "bluez", extra_packages = { "blueman" } },
    pipewire = {
      enable = true,
      extra_packages = {
        "pipewire-alsa",
        "pipewire-pulse",
        "pipewire-jack",
        "wireplumber",
      },
    },
    tlp = {
      enable = true,
      settings = {
        CPU_SCALING_GOVERNOR_ON_AC = "performance",
        CPU_BOOST_ON_BAT = 0,
        START_CHARGE_THRESH_BAT0 = 75,
        STOP_CHARGE_THRESH_BAT0 = 80,
      },
    },
    sane = { enable = true, extra_packages = { "sane-airscan" } },
  },
  locale = {
    locale = {
      default = lang .. " UTF-8",
      extra_generate = {
        "en_CA.UTF-8 UTF-8",
        "fr_CA.UTF-8 UTF-8",
        "de_DE.UTF-8 UTF-8",
      },
      extra_settings = map(regional) .. { LC_MESSAGES = "en_US.UTF-8" },
    },
    keymap = "us",
    timezone = "America/Toronto",
  },
  network = {
    hostname = "workstation",
    ipv6 = true,
  },
  desktop = {
    display_manager = "gdm",
    desktop_manager = {
      gnome = {
        enable = true,
        exclude_packages = { "gnome-tour", "yelp", "epiphany" },
        extra_packages = {
          "gnome-tweaks",
          "gnome-shell-extension-appindicator",
          "aur:extension-manager", -- built from the AUR
        },
      },
      plasma = { enable = false, extra_packages = { "konsole", "dolphin" } },
      cosmic = { enable = false, display_manager = "cosmic-greeter" },
    },
  },
  fonts = {
    font_dir = true,
    packages = {
      "noto-fonts",
      "noto-fonts-cjk",
      "noto-fonts-emoji",
      "ttf-liberation",
      "ttf-jetbrains-mono-nerd",
      "aur:ttf-symbola", -- built from the AUR
    },
  },"""

USER_TEMPLATE = Template("""\
    $key = {
      name = "$full",
      hashed_password = "$hash",
      shell = "/bin/zsh",
      extra_groups = { "wheel", "audio", "video", "docker", "libvirt" },
      dotfile_manager = dotmgr.stow({
        source_dir = "~/dotfiles",
        repo_url = "https://git.example.org/$name/dotfiles.git",
      }),
      programs = {
        git = {
          enable = true,
          config = configs.git({
            user_name = "$full",
            user_email = "$name@example.org",
            extra = { ["init.defaultBranch"] = "main", ["pull.rebase"] = true },
          }),
        },
        zsh = {
          enable = true,
          deploy_config = true, -- links the zsh stow package
          extra_packages = { "zsh-completions", "zsh-autosuggestions" },
        },
        neovim = { enable = true, deploy_config = true },
        tmux = { enable = true, deploy_config = true },
        alacritty = { enable = $alacritty, package = "alacritty" },
        dconf = {
          enable = true,
          config = configs.dconf({
            ["org/gnome/desktop/interface"] = { ["gtk-theme"] = "Adwaita-dark" },
            ["org/gnome/shell"] = { ["favorite-apps"] = { "firefox.desktop" } },
          }),
        },
      },
      deploy_configs = { "home", "gtk", "fonts" },
      services = {
        syncthing = {
          enable = $syncthing,
          config = configs.syncthing({ options = "--no-browser" }),
        },
      },
    },""")

SERVICES_HEAD = """\
  services = {
    openssh = {
      enable = true,
      service_name = "sshd",
      settings = map({ PermitRootLogin = false }) .. { PasswordAuthentication = false },
    },
    virtualisation = { -- a group: not a package itself
      enable = true,
      services = {
        docker = { enable = true, extra_packages = { "docker-buildx" } },
        libvirtd = { enable = true, package = "libvirt", extra_packages = { "edk2-ovmf" } },
      },
    },
    nas = {
      enable = true,
      package = "nfs-utils",
      mount = configs.mount({
        media = {
          type = "nfs", what = "nas.lan:/srv/media", where = "/mnt/media",
          options = "noatime,vers=4.2", after = "network-online.target",
          automount = true, automount_config = "TimeoutIdleSec=600",
        },
      }),
    },"""


def user_lines(name: str, index: int) -> list[str]:
    """One user with programs, dotfiles and a user service (~45 lines)."""
    text = USER_TEMPLATE.substitute(
        key=lua_key(name),
        name=name,
        full=name.replace("-", " ").title(),
        hash=HASH,
        alacritty=lua_value(index % 2 == 0),
        syncthing=lua_value(index == 0),
    )
    return text.splitlines()


def users_section(n_users: int) -> list[str]:
    names = [USER_NAMES[i] if i < len(USER_NAMES) else f"user{i}" for i in range(n_users)]
    lines = ["  users = {", '    root = { no_password = true, shell = "/bin/bash" },']
    for index, name in enumerate(names):
        lines += user_lines(name, index)
    return [*lines, "  },"]


def service_lines(name: str, package: str | None, unit: str | None, extra: tuple[str, ...],
                  settings: dict[str, object]) -> list[str]:  # fmt: skip
    lines = [f"    {lua_key(name)} = {{", "      enable = true,"]
    if package:
        lines.append(f"      package = {lua_value(package)},")
    if unit:
        lines.append(f"      service_name = {lua_value(unit)},")
    if extra:
        lines.append(f"      extra_packages = {lua_list(extra)},")
    if settings:
        lines.append("      settings = {")
        lines += [f"        {lua_key(key)} = {lua_value(v)}," for key, v in settings.items()]
        lines.append("      },")
    return [*lines, "    },"]


def worker_service(i: int) -> ServiceEntry:
    """The n-th made-up service once the real ones run out: a unit of a python program."""
    values = ("info", 9000 + i, 2 + i % 6, f"/var/cache/worker{i}", i % 2 == 0, 30)
    return f"worker{i}", "python", f"worker{i}", (), dict(zip(WORKER_SETTINGS, values, strict=True))


def services_section(n_services: int) -> list[str]:
    """openssh, a service group and a mount, then `n_services` more with settings."""
    workers = (worker_service(i) for i in range(max(0, n_services - len(SERVICES))))
    lines = SERVICES_HEAD.splitlines()
    for entry in [*SERVICES, *workers][:n_services]:
        lines += service_lines(*entry)
    return [*lines, "  },"]


def packages_section(specs: list[str]) -> list[str]:
    dev, media = MODULES
    return [
        "  -- The long list lives here; two sibling modules add their own.",
        "  packages = list({",
        *package_lines(2, specs),
        f'  }}) .. If(with_dev_tools, require("{dev}")) .. require("{media}"),',
    ]


def module_lines(name: str, specs: list[str]) -> list[str]:
    return [
        f"-- {name}: a package list, required by configuration.lua.",
        "return list({",
        *package_lines(1, specs),
        "})",
    ]


# ---- the whole configuration ---------------------------------------------------------------


@dataclass(frozen=True)
class Workstation:
    directory: Path
    lines: dict[str, int]  # file name -> line count

    @property
    def total_lines(self) -> int:
        return sum(self.lines.values())


def render(n_services: int, n_users: int, specs: list[list[str]]) -> dict[str, list[str]]:
    """File name -> lines: configuration.lua and the two modules, given their package specs."""
    main_specs, *module_specs = specs
    main = [
        *HEADER.splitlines(),
        *SYSTEM.splitlines(),
        *users_section(n_users),
        *packages_section(main_specs),
        *services_section(n_services),
        "}",
        "",
        "return config",
    ]
    files = {"configuration.lua": main}
    for name, module in zip(MODULES, module_specs, strict=True):
        files[f"{name}.lua"] = module_lines(name, module)
    return files | descriptor_files(n_services)


def descriptor_files(n_services: int) -> dict[str, list[str]]:
    """Where the settings go of each item kodos has no descriptor for (the configuration's
    own expansions/, as a user adds them), so that `kodos validate` accepts them."""
    workers = (worker_service(i) for i in range(max(0, n_services - len(SERVICES))))
    with_settings = [(f"services/{name}", package, unit) for name, package, unit, _, settings
                     in [*SERVICES, *workers][:n_services] if settings]  # fmt: skip
    files = {}
    for item, package, unit in [*with_settings, ("hardware/tlp", None, "tlp.service")]:
        name = item.split("/")[1]
        files[f"expansions/{item}.lua"] = [
            "return {",
            f"  package = {lua_value(package or name)},",
            f"  unit = {lua_value((unit or name).removesuffix('.service') + '.service')},",
            f'  settings = {{ path = "/etc/{name}/kodos.conf", format = "keyvalue" }},',
            "}",
        ]
    return files


def write_workstation(directory: Path, target_lines: int = 1000) -> Workstation:
    """Write a configuration of `target_lines` lines (all files), padded with packages."""
    n_services = max(len(SERVICES), target_lines // 40)
    n_users = max(2, target_lines // 300)
    fixed = sum(len(lines) for lines in render(n_services, n_users, [[], [], []]).values())
    free = target_lines - fixed
    if free < 30:
        raise ValueError(f"{target_lines} lines is too small; use at least {fixed + 30}")
    specs = list(islice(package_specs(), free))
    half, quarter = free - free // 2, free // 4  # main file, then one quarter per module
    split = [specs[:half], specs[half : half + quarter], specs[half + quarter :]]
    files = render(n_services, n_users, split)
    for name, lines in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workstation(directory, {name: len(lines) for name, lines in files.items()})
