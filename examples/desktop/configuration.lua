-- desktop: a GNOME workstation whose configuration is split over several files.
--
--   configuration.lua     this file: the machine itself
--   packages/cli.lua      command-line tools   (require("packages.cli"))
--   packages/dev.lua      development tools    (require("packages.dev"))
--   gnome-settings.lua    alice's GNOME settings (require("gnome-settings"))
--
-- require() looks next to this file first, then in kodos's lua-lib/.
-- alice's password is "alice" (see hashed_password).

local disk = require("disk")
local repos = require("repos")
local dotmgr = require("dotfile_manager")
local configs = require("configs")

---@type kodos.Config
local config = {
  repos = {
    arch = repos.arch_repo("https://geo.mirror.pkgbuild.com"),
    aur = repos.aur_repo("paru", "https://aur.archlinux.org/paru-bin.git"),
    flatpak = repos.flatpak_repo("flathub"), -- kodos knows Flathub's URL
  },

  devices = {
    -- An NVMe disk with swap big enough to hibernate 32 GiB of memory.
    system = disk.disk_definition("/dev/nvme0n1", "34GiB"),
  },

  boot = {
    kernel = {
      package = "linux",
      modules = { "nvme", "xhci_pci", "usbhid", "amdgpu" },
    },
    loader = { type = "systemd-boot", timeout = 3 },
  },

  hardware = {
    bluetooth = { enable = true, package = "bluez", service_name = "bluetooth" },
    pipewire = { enable = true, extra_packages = { "pipewire-pulse", "wireplumber" } },
  },

  locale = {
    locale = { default = "en_GB.UTF-8 UTF-8" },
    keymap = "uk",
    timezone = "Europe/London",
  },

  network = { hostname = "workstation" },

  users = {
    root = { no_password = true },
    alice = {
      name = "Alice Liddell",
      hashed_password = "$6$Hxy4r3CAoY/PZ7Ej$9Pfeuzr0ND02Idp9nV1JzHkl/pX2FDzY6cSZcgBJk86PTWS9RKsv.qsJctRw03rsEGze/qRurN918hpB5iwjt/",
      shell = "/usr/bin/fish",
      extra_groups = { "wheel", "libvirt" },
      dotfile_manager = dotmgr.stow{
        source_dir = "~/.dotfiles", -- target_dir defaults to "~/"
        repo_url = "https://git.example.org/alice/dotfiles.git",
      },
      programs = {
        fish = { enable = true, deploy_config = true },
        git = {
          enable = true,
          -- Each key a_b is git's a.b: core_pager is core.pager.
          config = configs.git{
            user_name = "Alice Liddell",
            user_email = "alice@example.org",
            core_pager = "delta",
            init_defaultBranch = "main",
          },
        },
        -- dconf writes the settings from gnome-settings.lua into alice's profile.
        dconf = { enable = true, config = configs.dconf(require("gnome-settings")) },
      },
      deploy_configs = { "wallpapers" },
      -- Files of this configuration directory, copied into alice's home.
      files = {
        ["~/.config/fish/conf.d/greeting.fish"] = copy_file("files/greeting.fish"),
      },
    },
  },

  desktop = {
    desktop_manager = {
      gnome = {
        enable = true,
        display_manager = "gdm",
        exclude_packages = { "gnome-tour", "epiphany", "gnome-music" },
        extra_packages = { "gnome-tweaks", "aur:extension-manager" },
      },
    },
  },

  fonts = {
    font_dir = true,
    packages = { "noto-fonts", "noto-fonts-cjk", "noto-fonts-emoji", "ttf-firacode-nerd", "inter-font" },
  },

  -- This machine's own packages, then the shared lists. `..` joins lists.
  packages = list{ "firefox", "thunderbird", "flatpak:org.libreoffice.LibreOffice" }
    .. require("packages.cli")
    .. require("packages.dev"),

  services = {
    networkmanager = { enable = true, service_name = "NetworkManager" },
    fwupd = { enable = true },

    -- A share on the home NAS, mounted on first access rather than at boot: one
    -- mount unit, named after its mount point (/mnt/nas -> mnt-nas), as upstream
    -- writes it. `configs.mount{ nas = { ... }, music = { ... } }` names several.
    mounts = {
      enable = true,
      extra_packages = { "cifs-utils" },
      services = {
        nas = configs.mount{
          name = "mnt-nas",
          type = "cifs",
          what = "//nas.home.arpa/media",
          where = "/mnt/nas",
          description = "Media share on the NAS",
          options = "credentials=/etc/samba/credentials/nas,uid=alice,gid=alice,_netdev",
          after = "network-online.target",
          wanted_by = "multi-user.target",
          automount = true,
          automount_config = "TimeoutIdleSec=600",
        },
      },
    },

    -- A group of services: the group pulls in the shared packages, each
    -- sub-service under `services` is enabled on its own.
    virtualisation = {
      enable = true,
      extra_packages = { "qemu-desktop", "virt-manager", "dnsmasq" },
      services = {
        libvirtd = { enable = true, package = "libvirt" },
        docker = { enable = false, extra_packages = { "docker-compose" } },
      },
    },
  },
}

return config
