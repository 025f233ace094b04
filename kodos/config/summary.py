"""A short, human summary of a valid configuration (what `kodos validate` prints)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from kodos.config.model import Config, MountUnit, Service
from kodos.config.packages import Source, package_requests

_SOURCE_LABELS: dict[Source, str] = {
    "pacman": "Arch repositories",
    "aur": "AUR",
    "flatpak": "Flatpak",
}


def summary_lines(config: Config) -> list[str]:
    rows = [
        ("packages", _packages(config)),
        ("services", _names(_enabled_services(config.services))),
        ("users", _names(sorted(config.users))),
        ("desktop", _desktop(config)),
        ("repos", _names(f"{name} ({repo.type})" for name, repo in sorted(config.repos.items()))),
        ("devices", _names(f"{disk.device}" for _, disk in sorted(config.devices.items()))),
    ]
    if config.network is not None and config.network.hostname:
        rows.insert(0, ("hostname", config.network.hostname))
    return [f"  {label:<9} {text}" for label, text in rows if text]


def _packages(config: Config) -> str:
    # Count distinct names per source: the same package asked for twice is installed once.
    unique = {(request.source, request.name) for request in package_requests(config)}
    counts = Counter(source for source, _ in unique)
    parts = [f"{counts[s]} from {label}" for s, label in _SOURCE_LABELS.items() if counts[s]]
    return ", ".join(parts) if parts else "none"


def _enabled_services(services: Mapping[str, Service | MountUnit], prefix: str = "") -> list[str]:
    names = []
    for name, service in sorted(services.items()):
        if service.enable:
            names.append(prefix + name)
            if isinstance(service, Service):
                names.extend(_enabled_services(service.services, f"{prefix}{name}."))
    return names


def _desktop(config: Config) -> str:
    if config.desktop is None:
        return ""
    enabled = [n for n, m in sorted(config.desktop.desktop_manager.items()) if m.enable]
    text = ", ".join(enabled) or "no desktop enabled"
    if config.desktop.display_manager:
        text += f" (display manager {config.desktop.display_manager})"
    return text


def _names(names: object) -> str:
    items = list(names)  # type: ignore[call-overload]
    return f"{len(items)}: {', '.join(items)}" if items else ""
