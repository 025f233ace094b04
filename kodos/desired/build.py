"""Build the desired state: every section of a validated Config, expanded.

Sections expand in a fixed order (boot, repos, hardware, locale, network, users, desktop, fonts,
packages, services) and names within a section in sorted order, so the same configuration
always gives the same requests, resources and problems. Packages from the `packages` list,
`fonts.packages` and every `extra_packages` list stay requests with their configuration
paths (`aur:`/`flatpak:` prefixes already routed); `fonts.font_dir` adds nothing yet — it will
mean a per-user ~/.local/share/fonts kept by rebuild-user, as upstream's font directory.
"""

from __future__ import annotations

from pathlib import Path

from kodos.config.model import Config
from kodos.desired.boot import expand_boot
from kodos.desired.collect import Collector, DesiredState
from kodos.desired.descriptors import Descriptors
from kodos.desired.desktop import expand_desktop, settle_display_managers
from kodos.desired.locale import expand_locale
from kodos.desired.network import expand_network
from kodos.desired.repos import expand_repos
from kodos.desired.services import expand_hardware, expand_services
from kodos.desired.users import expand_users
from kodos.errors import Problem


def build_desired(config: Config, config_dir: Path, library: Path | None = None) -> DesiredState:
    """Expand `config`; descriptors are looked up in `config_dir`/expansions first, then in
    `library` (default: kodos's lua-lib)/expansions."""
    problems: list[Problem] = []
    collector = Collector(Descriptors(config_dir, problems, library), problems=problems)
    if config.boot is not None:
        expand_boot(collector, config.boot)
    expand_repos(collector, config.repos)
    expand_hardware(collector, config.hardware)
    if config.locale is not None:
        expand_locale(collector, config.locale)
    if config.network is not None:
        expand_network(collector, config.network)
    expand_users(collector, config.users)
    default_display_managers = []
    if config.desktop is not None:
        default_display_managers = expand_desktop(collector, config.desktop)
    if config.fonts is not None:
        collector.specs(config.fonts.packages, ("fonts", "packages"))
    collector.specs(config.packages, ("packages",))
    expand_services(collector, config.services, ("services",))
    settle_display_managers(collector, default_display_managers)
    return collector.finish()
