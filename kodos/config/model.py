"""The configuration model: every section and key a configuration.lua may use.

It mirrors the Lua table one to one and rejects what it does not know. Optional sections and
keys left out (None) mean "kodos does not manage this"; nothing is invented on the user's behalf.
The field docstrings are the configuration reference (`kodos schema` prints them).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from kodos.config.types import (
    AbsolutePath,
    AutomountSettings,
    ConfigName,
    DevicePath,
    FullName,
    GitUrl,
    GroupName,
    HashedPassword,
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
    Scalar,
    Setting,
    SettingKey,
    SettingValue,
    SwapSize,
    TimeZone,
    UnitName,
    Url,
    UserName,
)


class Section(BaseModel):
    """Base of every table in the configuration: unknown keys are errors, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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


class FlatpakRepo(Section):
    """A Flatpak remote: `repos.flatpak_repo(remote, url)`."""

    type: Literal["flatpak"]
    remote: ConfigName = Field(description="Remote name, e.g. flathub.")
    url: Url | None = Field(None, description="Remote URL; known for flathub.")


Repo = Annotated[ArchRepo | AurRepo | FlatpakRepo, Field(discriminator="type")]


# ---- devices -----------------------------------------------------------------------------


class Disk(Section):
    """A whole disk: GPT with an ESP, optional swap, Btrfs root (`disk.disk_definition`)."""

    type: Literal["disk"]
    device: DevicePath
    swap_size: SwapSize | None = Field(None, description='e.g. "4GB"; no swap when absent.')


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
    """`configs.git{...}`: the user's ~/.gitconfig."""

    type: Literal["git"]
    user_name: str | None = None
    user_email: str | None = None
    extra: dict[str, Scalar] = Field({}, description='More keys, e.g. ["core.editor"].')


class DconfConfig(Section):
    """`configs.dconf(settings)`: dconf path → key → value."""

    type: Literal["dconf"]
    settings: dict[str, dict[str, Setting]]


class SyncthingConfig(Section):
    """`configs.syncthing{...}`: a Syncthing user service."""

    type: Literal["syncthing"]
    service_name: UnitName = "syncthing"
    options: str | None = None


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
    """`configs.mount{name = {...}}`: systemd mount (and automount) units."""

    type: Literal["mount"]
    mounts: dict[ConfigName, MountPoint]


class StowConfig(Section):
    """`dotmgr.stow{...}` / `configs.stow{...}`: dotfiles deployed with GNU Stow."""

    type: Literal["stow"]
    source_dir: str
    target_dir: str = "~/"
    repo_url: GitUrl | None = None


ProgramConfig = Annotated[
    GitConfig | DconfConfig | SyncthingConfig | MountConfig | StowConfig,
    Field(discriminator="type"),
]


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
    mount: MountConfig | None = None
    services: dict[ConfigName, Service] = Field({}, description="Sub-services of a group.")


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
    services: dict[ConfigName, Service] = Field({}, description="User-level services.")

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
    services: dict[ConfigName, Service] = {}
