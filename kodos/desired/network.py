"""network → /etc/hostname, /etc/hosts and, with `ipv6 = false`, a sysctl drop-in.

* /etc/hostname holds the name and nothing else: hostname(5) allows comments, but scripts and
  older tools read the file's first line as the name, so it gets no header.
* /etc/hosts (when a hostname is set): the localhost lines Arch ships, `::1` only while IPv6
  is on, and `127.0.1.1 NAME` so the machine resolves its own name without a DNS server (a
  dotted name also gets its first label as an alias, the Debian convention).
* `ipv6 = false` → /etc/sysctl.d/40-kodos-ipv6.conf turning IPv6 off for every interface, those
  that exist (`all`) and those that appear later (`default`). `ipv6 = true` (the default)
  writes nothing: turning it back on removes the file kodos made.
"""

from __future__ import annotations

from kodos.config.model import Network
from kodos.desired.collect import Collector
from kodos.desired.files import managed_text
from kodos.desired.written import HOSTNAME, HOSTS, SYSCTL_IPV6

PATH = ("network",)


def expand_network(collector: Collector, network: Network) -> None:
    if network.hostname is not None:
        name = network.hostname
        collector.file(HOSTNAME, f"{name}\n", (*PATH, "hostname"))
        collector.file(HOSTS, hosts(name, network.ipv6), (*PATH, "hostname"))
    if not network.ipv6:
        lines = ["net.ipv6.conf.all.disable_ipv6 = 1", "net.ipv6.conf.default.disable_ipv6 = 1"]
        collector.file(SYSCTL_IPV6, managed_text(lines), (*PATH, "ipv6"))


def hosts(hostname: str, ipv6: bool) -> str:
    lines = ["127.0.0.1 localhost"]
    if ipv6:
        lines.append("::1 localhost")
    short = hostname.split(".")[0]
    lines.append(f"127.0.1.1 {hostname} {short}" if short != hostname else f"127.0.1.1 {hostname}")
    return managed_text(lines)
