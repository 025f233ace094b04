"""The configuration model: every section and key a configuration.lua may use.

It mirrors the Lua table one to one and rejects what it does not know. Optional sections and
keys left out (None) mean "kodos does not manage this"; nothing is invented on the user's behalf.
The field docstrings are the configuration reference (`kodos schema` prints them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from kodos.config.fields import (
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from kodos.config.sections import Section
from kodos.config.types import (
    AbsolutePath,
    AutomountSettings,
    ConfigFile,
    ConfigName,
    DconfDir,
    DconfKey,
    DconfValue,
    DevicePath,
    FlatpakRemoteName,
    FlatpakUrl,
    FullName,
    GitKey,
    GitUrl,
    GroupName,
    GSettingsSchema,
    HashedPassword,
    HomeFile,
    HomePath,
    HostName,
    KernelModule,
    KernelOption,
    KeyMap,
    LocaleEntry,
    LocaleName,
    LuaList,
    MountPath,
    OneLine,
    PackageName,
    PackageSpec,
    SettingKey,
    SettingValue,
    SwapSize,
    TimeZone,
    UnitName,
    Url,
    UserName,
    escape_path,
    normalized_where,
)

# ---- repos -------------------------------------------------------------------------------


class ArchRepo(Section):
    """Arch's official repositories (core, extra) from one mirror: `repos.arch_repo(mirror)`."""

    type: Literal["arch"]
    mirror: Url = Field(description="Mirror base URL; `$repo/os/$arch` is appended.")


class AurRepo(Section):
    """The AUR: `repos.aur_repo(helper, url, { aur_url = ... })`. kodos builds `aur:`
    packages itself; the helper is installed as an ordinary AUR package for the user."""

    type: Literal["aur"]
    helper: PackageName = Field(description="AUR helper, e.g. yay or paru.")
    url: GitUrl | None = Field(
        None,
        description="Git URL of the helper's own PKGBUILD: the helper is installed from the "
        "package base it names (…/yay-bin.git: yay-bin); unset: the base `helper`.",
    )
    aur_url: Url | None = Field(
        None,
        description="Where the AUR is; unset: https://aur.archlinux.org. A file:// URL is a "
        "directory of git repositories <pkgbase>.git.",
    )


FLATPAK_REMOTES = {"flathub": "https://dl.flathub.org/repo/flathub.flatpakrepo"}
"""The Flatpak remotes whose URL a configuration may leave out."""


def is_flatpakrepo_url(url: str) -> bool:
    """Whether `url` names a .flatpakrepo file (the remote's URL, GPG key and title) rather
    than the repository itself."""
    return url.partition("?")[0].partition("#")[0].endswith(".flatpakrepo")


class FlatpakRepo(Section):
    """A Flatpak remote: `repos.flatpak_repo(remote, url, {gpg_verify = ...})`."""

    type: Literal["flatpak"]
    remote: FlatpakRemoteName = Field(description="Remote name, e.g. flathub.")
    url: FlatpakUrl | None = Field(
        None,
        description="The remote's .flatpakrepo file (URL and GPG key) or its repository URL; "
        "known for flathub.",
    )
    gpg_verify: bool = Field(
        True,
        description="Verify the remote's signatures with the key its .flatpakrepo brings; "
        "false only for an unsigned repository (a local test one).",
    )

    @model_validator(mode="after")
    def _url_known_and_verifiable(self) -> FlatpakRepo:
        if self.url is None and self.remote not in FLATPAK_REMOTES:
            raise ValueError(
                f"kodos knows no URL for the Flatpak remote {self.remote!r}; give its "
                f".flatpakrepo URL: repos.flatpak_repo({self.remote!r}, URL)"
            )
        if self.gpg_verify and not is_flatpakrepo_url(self.source_url):
            raise ValueError(
                "a repository URL brings no GPG key to verify the remote with; give its "
                ".flatpakrepo URL, or {gpg_verify = false} for an unsigned repository"
            )
        return self

    @property
    def source_url(self) -> str:
        """The URL the remote is added from: the configured one, or the one kodos knows."""
        return self.url or FLATPAK_REMOTES[self.remote]


Repo = Annotated[ArchRepo | AurRepo | FlatpakRepo, Field(discriminator="type")]


# ---- devices -----------------------------------------------------------------------------


class Disk(Section):
    """A whole disk: GPT with an ESP, optional swap, Btrfs root (`disk.disk_definition`)."""

    type: Literal["disk"]
    device: DevicePath
    swap_size: SwapSize | None = Field(None, description='e.g. "4GB"; no swap when absent.')
    esp_mount: Literal["/efi", "/boot", "/boot/efi"] = Field(
        "/efi", description="Where the installed system mounts the ESP; /boot holds the kernels."
    )


# ---- boot --------------------------------------------------------------------------------


class Kernel(Section):
    package: PackageName = Field("linux", description="Kernel package, e.g. linux-lts.")
    modules: LuaList[KernelModule] = Field([], description="Modules added to the initramfs.")
    options: LuaList[KernelOption] | None = Field(
        None, description="The kernel command line (root= aside); unset: kept from the machine."
    )


class Loader(Section):
    type: Literal["systemd-boot"] = "systemd-boot"
    timeout: Annotated[int, Field(ge=0)] | None = Field(None, description="Menu timeout, s.")
    include: LuaList[PackageName] = Field([], description="Extra entries, e.g. memtest86+.")


class Boot(Section):
    kernel: Kernel = Kernel()
    loader: Loader = Loader()


# ---- hardware, services, programs --------------------------------------------------------


class GitConfig(Section):
    """`configs.git{user_name = "Ada", init_defaultBranch = "main"}`: the user's git config
    file. The helper turns each key `a_b` into git's `a.b` (`a_b_c` into `a.b.c`, section a,
    subsection b) and merges its `extra` table of dotted keys in."""

    type: Literal["git"]
    settings: dict[GitKey, SettingValue] = Field(
        {}, description='git key → value, e.g. {"user.name": "Ada", "pull.rebase": true}.'
    )


class DconfConfig(Section):
    """`configs.dconf(settings)`: dconf directory → key → value, exactly the keys to set.

    The helper normalizes what upstream writes: a GSettings schema id (`org.gnome.shell.weather`)
    or a path (`/org/gnome/mutter/`) becomes the directory `org/gnome/shell/weather`,
    `org/gnome/mutter`; `_` in key names becomes `-` (GSettings key names have no `_`:
    `color_scheme` is `color-scheme`); and upstream's relocatable form
    `{ custom_keybinding = { ["/org/.../custom0/"] = { name = "Terminal" } } }` under
    `org/gnome/settings-daemon/plugins/media-keys` sets the keys of the directory
    `org/.../custom0` (upstream's `gsettings set SCHEMA.custom-keybinding:/org/.../custom0/
    name 'Terminal'`), whose schema is recorded in `relocatable_schemas`.

    A string is the string, except GVariant text: upstream hands values to `gsettings set`,
    which reads GVariant text first. With no schema to try, kodos goes by the form: a string
    starting with `@`, `[`, `(`, `{` or a type keyword and a space (`'[<(uint32 2, ...)>]'`,
    `"uint32 300"`) is that value, checked by dconf (docs/home-programs.md)."""

    type: Literal["dconf"]
    settings: dict[DconfDir, dict[DconfKey, DconfValue]]
    relocatable_schemas: dict[DconfDir, GSettingsSchema] = Field(
        {},
        description="Directories written in upstream's relocatable form → the schema id of "
        "their keys (org.gnome.settings-daemon.plugins.media-keys.custom-keybinding).",
    )


class SyncthingConfig(Section):
    """`configs.syncthing{service_name, options}`: Syncthing as a user unit."""

    type: Literal["syncthing"]
    service_name: UnitName = "syncthing"
    options: OneLine | None = Field(
        None, description="Command-line options, appended to ExecStart as written."
    )


class MountPoint(Section):
    type: ConfigName = Field(description="File system type, e.g. nfs or cifs.")
    what: OneLine
    where: MountPath = Field(description="A directory below /, without . or .. parts.")
    description: OneLine | None = None
    options: OneLine | None = None
    after: UnitName | None = None
    wanted_by: UnitName | None = None
    automount: bool = False
    automount_config: AutomountSettings | None = Field(
        None, description="Automount settings, one `Key=value` a line (TimeoutIdleSec=600)."
    )


class MountConfig(Section):
    """`configs.mount{name = {...}}`: systemd mount (and automount) units, one per entry."""

    type: Literal["mount"]
    mounts: dict[ConfigName, MountPoint]


class MountUnit(Section):
    """`configs.mount{name = "mnt-data", type = "cifs", what = ..., where = "/mnt/data", ...}`
    (upstream's form): ONE mount unit named `name`. It stands wherever a mount table may
    (`mount = ...`, `config = ...`) and also as a service of its own
    (`services.nas.services.data = configs.mount{...}`)."""

    type: Literal["mount_unit"]
    enable: bool = Field(True, description="false leaves the unit out.")
    # mount before name: checking the name needs the mount point
    mount: MountPoint = Field(description="The mount (upstream's keys; `type` the file system).")
    name: UnitName = Field(description="The unit's name: systemd-escape --path of `where`.")

    @field_validator("name")
    @classmethod
    def _named_after_mount_point(cls, name: str, info: ValidationInfo) -> str:
        mount = info.data.get("mount")
        if not isinstance(mount, MountPoint):
            return name  # the mount's own problem is reported
        expected = escape_path(normalized_where(mount.where))
        if name.removesuffix(".mount") != expected:
            raise ValueError(
                f"a mount unit is named after its mount point: {mount.where} needs the name "
                f"{expected!r}, not {name!r} (systemd ignores a unit named otherwise)"
            )
        return name


class StowConfig(Section):
    """`dotmgr.stow{...}` / `configs.stow{...}`: dotfiles deployed with GNU Stow."""

    type: Literal["stow"]
    source_dir: HomePath = Field(description="The stow directory, e.g. ~/.dotfiles.")
    target_dir: HomePath = Field("~/", description="Where the links go, e.g. ~/.")
    repo_url: GitUrl | None = Field(None, description="Cloned into source_dir when given.")


class CopyFile(Section):
    """`copy_file(source)`: a file of the configuration directory, copied into the home at the
    place it is written under (`users.NAME.files = { ["~/.config/x"] = copy_file("x") }`)."""

    type: Literal["copy_file"]
    source: ConfigFile = Field(description="Relative to the configuration directory.")


ProgramConfig = Annotated[
    GitConfig | DconfConfig | SyncthingConfig | MountConfig | MountUnit | StowConfig,
    Field(discriminator="type"),
]
Mounts = Annotated[MountConfig | MountUnit, Field(discriminator="type")]
"""What `mount = ...` takes: a table of named mounts, or one mount unit."""


class HardwareItem(Section):
    enable: bool = False
    package: PackageName | None = None
    service_name: UnitName | None = None
    extra_packages: LuaList[PackageSpec] = []
    settings: dict[SettingKey, SettingValue] = {}


class Service(Section):
    enable: bool = False
    package: PackageName | None = Field(None, description="Defaults to the service's name.")
    service_name: UnitName | None = Field(None, description="Unit; defaults to the name.")
    extra_packages: LuaList[PackageSpec] = []
    settings: dict[SettingKey, SettingValue] = Field(
        {}, description="Written to the service's config, one line each."
    )
    config: ProgramConfig | None = None
    mount: Mounts | None = None
    services: dict[ConfigName, ServiceEntry] = Field({}, description="Sub-services of a group.")


def _service_entry_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "mount_unit" if kind == "mount_unit" else "service"


ServiceEntry = Annotated[
    Annotated[Service, Tag("service")] | Annotated[MountUnit, Tag("mount_unit")],
    Discriminator(_service_entry_tag),
]
"""An entry of a `services` table: a service, or upstream's `configs.mount{...}` standing as
a service of its own."""


class Program(Section):
    enable: bool = False
    package: PackageName | None = Field(None, description="Defaults to the program's name.")
    config: ProgramConfig | None = None
    deploy_config: bool = Field(False, description="Let the dotfile manager deploy its config.")
    extra_packages: LuaList[PackageSpec] = []


# ---- users -------------------------------------------------------------------------------


class User(Section):
    name: FullName | None = Field(None, description="Full name (GECOS), without ':'.")
    password: SecretStr | None = Field(None, description="Plain text: prefer hashed_password.")
    hashed_password: HashedPassword | None = None
    no_password: bool = False
    shell: AbsolutePath | None = None
    extra_groups: LuaList[GroupName] = []
    dotfile_manager: StowConfig | None = None
    programs: dict[ConfigName, Program] = {}
    deploy_configs: LuaList[ConfigName] = []
    files: dict[HomeFile, CopyFile] = Field(
        {}, description='Home files copied from the configuration: { ["~/.x"] = copy_file("x") }.'
    )
    services: dict[ConfigName, ServiceEntry] = Field({}, description="User-level services.")

    @model_validator(mode="after")
    def _one_password_kind(self) -> User:
        given = [
            key
            for key, present in (
                ("password", self.password is not None),
                ("hashed_password", self.hashed_password is not None),
                ("no_password", self.no_password),
            )
            if present
        ]
        if len(given) > 1:
            raise ValueError(f"{' and '.join(given)} exclude each other; keep one")
        return self


# ---- locale, network, desktop, fonts -----------------------------------------------------

LocaleVariable = Literal[
    "LANG",
    "LANGUAGE",
    "LC_ADDRESS",
    "LC_COLLATE",
    "LC_CTYPE",
    "LC_IDENTIFICATION",
    "LC_MEASUREMENT",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NAME",
    "LC_NUMERIC",
    "LC_PAPER",
    "LC_TELEPHONE",
    "LC_TIME",
]


class LocaleGeneration(Section):
    default: LocaleEntry | None = Field(None, description='e.g. "en_CA.UTF-8 UTF-8"; LANG.')
    extra_generate: LuaList[LocaleEntry] = []
    extra_settings: dict[LocaleVariable, LocaleName] = {}


class Locale(Section):
    locale: LocaleGeneration = LocaleGeneration()
    keymap: KeyMap | None = None
    timezone: TimeZone | None = None


class Network(Section):
    hostname: HostName | None = None
    ipv6: bool = True


class DesktopManager(Section):
    enable: bool = False
    display_manager: PackageName | None = None
    extra_packages: LuaList[PackageSpec] = []
    exclude_packages: LuaList[PackageName] = []


class Desktop(Section):
    display_manager: PackageName | None = Field(None, description="Shared by all desktops.")
    desktop_manager: dict[ConfigName, DesktopManager] = {}


class Fonts(Section):
    font_dir: bool = False
    packages: LuaList[PackageSpec] = []


# ---- the whole configuration -------------------------------------------------------------


class Config(Section):
    """A whole machine, as `configuration.lua` returns it."""

    repos: dict[ConfigName, Repo] = {}
    devices: dict[ConfigName, Disk] = {}
    boot: Boot | None = None
    hardware: dict[ConfigName, HardwareItem] = {}
    locale: Locale | None = None
    network: Network | None = None
    users: dict[UserName, User] = {}
    desktop: Desktop | None = None
    fonts: Fonts | None = None
    packages: LuaList[PackageSpec] = []
    services: dict[ConfigName, ServiceEntry] = {}
