-- testvm: a QEMU/KVM virtual machine that uses every section of the
-- configuration format. Try kodos here before pointing it at real hardware:
--
--   kodos validate -c examples/testvm
--   kodos install  -c examples/testvm --image testvm.img --size 20G
--
-- The login for demo-user is "demo" (see hashed_password below).

-- The helper modules live in kodos's lua-lib/; a file of the same name next to
-- this one would be found first.
local disk = require("disk")
local repos = require("repos")
local dotmgr = require("dotfile_manager")
local configs = require("configs")

-- Plain Lua values make the rest easy to change in one place.
local lang = "en_US.UTF-8"
local with_dev_tools = true

-- Every regional setting except the language itself follows Canadian usage.
local regional = {}
for _, category in ipairs({ "LC_ADDRESS", "LC_MEASUREMENT", "LC_MONETARY", "LC_NAME",
  "LC_NUMERIC", "LC_PAPER", "LC_TELEPHONE", "LC_TIME" }) do
  regional[category] = "en_CA.UTF-8"
end

---@type kodos.Config
local config = {
  repos = {
    -- Official repositories through one mirror.
    arch = repos.arch_repo("https://geo.mirror.pkgbuild.com"),
    -- "aur:" packages are built with yay, itself bootstrapped from its -bin PKGBUILD.
    aur = repos.aur_repo("yay", "https://aur.archlinux.org/yay-bin.git"),
    -- "flatpak:" packages come from Flathub (its URL is spelled out here; it may be left out).
    flatpak = repos.flatpak_repo("flathub", "https://dl.flathub.org/repo/flathub.flatpakrepo"),
  },

  -- Used by `kodos install` only: boot + 2GB swap + Btrfs root on the virtio disk.
  devices = {
    disk0 = disk.disk_definition("/dev/vda", "2GB"),
  },

  boot = {
    kernel = {
      -- The LTS kernel changes less often, which suits a test machine.
      package = "linux-lts",
      -- Enough for the initramfs to find a virtio disk and a USB keyboard.
      modules = { "virtio_pci", "virtio_blk", "virtio_scsi", "ahci", "xhci_pci", "usbhid", "sr_mod" },
      -- The kernel command line of every generation's boot entry (kodos adds root= itself).
      options = { "quiet", "console=tty0", "console=ttyS0" },
    },
    loader = {
      type = "systemd-boot",
      timeout = 5,               -- seconds; also the time to pick an older generation
      include = { "memtest86+" }, -- an extra boot menu entry
    },
  },

  hardware = {
    bluetooth = { enable = true, package = "bluez" },
    pipewire = {
      enable = true,
      -- Let ALSA, PulseAudio and JACK programs all play through PipeWire.
      extra_packages = { "pipewire-alsa", "pipewire-pulse", "pipewire-jack", "wireplumber" },
    },
  },

  locale = {
    locale = {
      default = lang .. " UTF-8",                                  -- a locale.gen line
      extra_generate = { "en_CA.UTF-8 UTF-8", "fr_CA.UTF-8 UTF-8" },
      extra_settings = regional,                                   -- LC_* = en_CA.UTF-8
    },
    keymap = "us",
    timezone = "America/Toronto",
  },

  network = {
    hostname = "testvm",
    ipv6 = true,
  },

  users = {
    -- No root password: log in as demo-user and use sudo (demo-user is in wheel).
    root = {
      no_password = true,
      shell = "/bin/bash",
    },

    -- A key with a "-" must be written in brackets: `["demo-user"] = {`.
    ["demo-user"] = {
      name = "Demo User",
      -- `openssl passwd -6 demo`; never put a plain-text password in a shared file.
      hashed_password = "$6$yYGlozWudGJ1pYBQ$90qFejr24w6sfZOYTFsRWw7sxxZwHBX5OmJhgGzEJ2QO.draeiLNRYAXbOjpOTV55KAuQeub.6l4wWuvsaTBl.",
      shell = "/bin/zsh",
      extra_groups = { "wheel", "audio" },

      -- Dotfiles live in a git repository laid out as stow packages
      -- (zsh/, nvim/, home/, gtk/ ...); `kodos apply --user` links them into ~.
      dotfile_manager = dotmgr.stow({
        source_dir = "~/dotfiles",
        target_dir = "~/",
        repo_url = "https://git.example.org/demo-user/dotfiles.git",
      }),

      -- Programs are installed system-wide; their configuration is per user.
      programs = {
        git = {
          enable = true,
          -- Each key a_b is git's a.b: init_defaultBranch is init.defaultBranch.
          config = configs.git({
            user_name = "Demo User",
            user_email = "demo-user@example.org",
            init_defaultBranch = "main",
            pull_rebase = true,
          }),
        },
        zsh = {
          enable = true,
          deploy_config = true, -- links the "zsh" stow package
          extra_packages = { "zsh-completions", "zsh-syntax-highlighting" },
        },
        neovim = {
          enable = true,
          deploy_config = true, -- links the "neovim" stow package
        },
      },

      -- Stow packages that belong to no program.
      deploy_configs = { "home", "gtk" },

      -- User services run under `systemctl --user`.
      services = {
        syncthing = {
          enable = false, -- declared but off: flip to true to start syncing
          config = configs.syncthing({
            service_name = "syncthing",
            options = "--no-browser --gui-address=127.0.0.1:8384",
          }),
        },
      },
    },
  },

  desktop = {
    -- One display manager for every installed desktop.
    display_manager = "gdm",
    desktop_manager = {
      gnome = {
        enable = true,
        exclude_packages = { "gnome-tour", "yelp" },
        extra_packages = {
          "gnome-tweaks",
          "gnome-shell-extension-appindicator",
          "aur:gnome-shell-extension-blur-my-shell",
        },
      },
      -- Disabled desktops stay in the file, ready to switch on.
      plasma = {
        enable = false,
        extra_packages = { "konsole", "dolphin", "kate" },
      },
      cosmic = {
        enable = false,
        display_manager = "cosmic-greeter", -- used only if desktop.display_manager is unset
      },
    },
  },

  fonts = {
    font_dir = true,
    packages = {
      "noto-fonts",
      "noto-fonts-emoji",
      "ttf-liberation",
      "ttf-dejavu",
      "ttf-jetbrains-mono-nerd",
      "aur:ttf-symbola",
    },
  },

  -- `list{...} .. x` appends; If(false, list{...}) gives an empty list.
  packages = list({
    "htop",
    "git",
    "neovim",
    "curl",
    "fastfetch",
    "aur:floorp-bin",               -- built from the AUR by yay
    "flatpak:com.visualstudio.code", -- installed from Flathub
  }) .. If(with_dev_tools, list({ "base-devel", "gdb", "strace" })),

  services = {
    fwupd = { enable = true },
    networkmanager = {
      enable = true,
      service_name = "NetworkManager", -- the unit is not named after the package
    },
    openssh = {
      enable = true,
      service_name = "sshd",
      -- sshd_config options. `map{...} .. {...}` merges two tables of settings.
      settings = map({ PermitRootLogin = false }) .. { PasswordAuthentication = false },
    },
    cups = {
      enable = true,
      extra_packages = { "gutenprint" },
    },
  },
}

return config
