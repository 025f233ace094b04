"""kodos.system.generations: the managed host's kodos generations, as facts."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kodos.system.plugins.module_utils.kodos_cli import (
    common_arguments,
    kodos_command,
    run_json,
)

DOCUMENTATION = r"""
---
module: generations
short_description: Read a host's kodos generations (the list, the default, the running one)
description:
  - Runs C(kodos generations list --json) on the managed host and sets the fact
    C(kodos_generations) with C(list), C(default) and C(running), and C(reboot_required)
    (the default generation is not the running one). Changes nothing.
options:
  root:
    description: Where the root filesystem of the machine is mounted.
    type: path
    default: /
  kodos_bin:
    description: The kodos executable on the host; default C(kodos) on the host's PATH.
    type: path
attributes:
  check_mode:
    support: full
  facts:
    support: full
"""

EXAMPLES = r"""
- kodos.system.generations:
- ansible.builtin.reboot:
  when: kodos_generations.reboot_required
"""

RETURN = r"""
ansible_facts:
  description: C(kodos_generations) with C(list) (as C(kodos generations list --json) prints
    it), C(default), C(running) (generation numbers, or null) and C(reboot_required).
  type: dict
  returned: always
"""


def main():
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "default": "/"},
            "kodos_bin": {"type": "path"},
        },
        supports_check_mode=True,
    )
    kodos = kodos_command(module)
    listed = run_json(module, [kodos, "generations", "list", "--json", *common_arguments(module)])
    try:
        default = next((g["id"] for g in listed if g["default"]), None)
        running = next((g["id"] for g in listed if g["running"]), None)
    except (KeyError, TypeError) as err:  # a kodos whose JSON this module does not know
        module.fail_json(msg=f"{kodos} printed a result this module cannot read ({err!r})")
    facts = {
        "list": listed,
        "default": default,
        "running": running,
        "reboot_required": default is not None and default != running,
    }
    module.exit_json(changed=False, ansible_facts={"kodos_generations": facts})


if __name__ == "__main__":
    main()
