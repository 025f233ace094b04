"""The desired state: what a validated configuration asks the machine to be.

`build_desired(config, config_dir)` expands every section into resources by address (see
docs/resources.md) and package requests, with the problems found on the way. What each
section becomes is documented in its module: boot, services (with hardware and display
managers), mounts, users, locale, network, desktop; descriptors explains the Lua expansion
descriptors, files the text of every file, groups the group-membership check.
"""

from kodos.desired.build import build_desired
from kodos.desired.collect import DesiredState
from kodos.desired.groups import BASE_GROUPS, missing_groups

__all__ = ["BASE_GROUPS", "DesiredState", "build_desired", "missing_groups"]
