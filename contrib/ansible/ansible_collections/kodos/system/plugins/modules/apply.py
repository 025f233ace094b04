"""kodos.system.apply: plan or apply a kodos configuration on the managed host."""

from __future__ import annotations

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kodos.system.plugins.module_utils.kodos_cli import (
    common_arguments,
    kodos_command,
    run_json,
)

DOCUMENTATION = r"""
---
module: apply
short_description: Plan or apply a kodos configuration as a new generation
description:
  - Runs the kodos CLI on the managed host. In check mode, and with O(state=planned), it runs
    C(kodos plan --json) and changes nothing; C(changed) says whether the plan has changes.
  - Otherwise it runs C(kodos apply --yes --json), which builds a new Btrfs generation that
    boots next when the plan is not empty, and returns that generation's number.
  - In diff mode the plan is the diff, one entry per resource (its attributes before and after).
  - Sensitive values (passwords) never leave kodos; they read C((sensitive)) in the plan.
options:
  config:
    description: A directory holding C(configuration.lua), or a C(.lua) file, on the managed host.
    type: path
    required: true
  root:
    description: Where the root filesystem of the machine to manage is mounted.
    type: path
    default: /
  upgrade:
    description: Also refresh the sync databases and upgrade every package (C(--upgrade)).
    type: bool
    default: false
  state:
    description: C(applied) builds the generation; C(planned) only plans, even outside check mode.
    type: str
    choices: [applied, planned]
    default: applied
  lock_timeout:
    description: Seconds to wait for another kodos to release the machine's lock.
    type: float
  kodos_bin:
    description: The kodos executable on the host; default C(kodos) on the host's PATH.
    type: path
  lua_path:
    description: More directories the configuration's modules are read from (C(--lua-path)).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Plan (check mode) or apply the host's configuration
  kodos.system.apply:
    config: /etc/kodos
    lua_path: [/etc/kodos/shared]
  register: kodos
"""

RETURN = r"""
changed:
  description: The plan has changes (check mode, planned) or a generation was built.
  type: bool
  returned: always
generation:
  description: The generation built; null when nothing was built.
  type: int
  returned: when state is applied, outside check mode
parent:
  description: The generation it was built from.
  type: int
  returned: when state is applied, outside check mode
reboot_required:
  description: A generation was built; it runs once the machine boots it.
  type: bool
  returned: always
summary:
  description: How many resources the plan adds, changes and destroys.
  type: dict
  returned: always
plan:
  description: The plan, as C(kodos plan --json) prints it (sensitive values redacted).
  type: dict
  returned: always
"""

_DIFF_ACTIONS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
}


def main():
    module = AnsibleModule(
        argument_spec={
            "config": {"type": "path", "required": True},
            "root": {"type": "path", "default": "/"},
            "upgrade": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["applied", "planned"], "default": "applied"},
            "lock_timeout": {"type": "float"},
            "kodos_bin": {"type": "path"},
            "lua_path": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    kodos = kodos_command(module)
    try:
        if module.check_mode or module.params["state"] == "planned":
            result = _plan(module, kodos)
        else:
            result = _apply(module, kodos)
        if module._diff and result["plan"]["changes"]:
            result["diff"] = [_resource_diff(change) for change in result["plan"]["changes"]]
    except (KeyError, TypeError) as err:  # a kodos whose JSON this module does not know
        module.fail_json(msg=f"{kodos} printed a result this module cannot read ({err!r})")
    module.exit_json(**result)


def _plan(module, kodos):
    argv = [kodos, "plan", "--json", "-c", module.params["config"], *common_arguments(module)]
    plan = run_json(module, argv + _upgrade(module))
    return {
        "changed": bool(plan["changes"]),
        "reboot_required": False,
        "summary": plan["summary"],
        "plan": plan,
        "msg": _summary_words(plan),
    }


def _apply(module, kodos):
    argv = [kodos, "apply", "--yes", "--json", "-c", module.params["config"]]
    argv += common_arguments(module) + _upgrade(module)
    if module.params["lock_timeout"] is not None:
        argv += ["--lock-timeout", str(module.params["lock_timeout"])]
    done = run_json(module, argv)
    words = _summary_words(done["plan"])
    if done["generation"] is not None:
        words += f"; built generation {done['generation']}, which boots next"
    return {
        "changed": done["changed"],
        "generation": done["generation"],
        "parent": done["parent"],
        "reboot_required": done["reboot_required"],
        "notes": done["notes"],
        "summary": done["plan"]["summary"],
        "plan": done["plan"],
        "msg": words,
    }


def _upgrade(module):
    # Passed only when asked: a kodos without --upgrade still serves every other run.
    return ["--upgrade"] if module.params["upgrade"] else []


def _summary_words(plan):
    summary = plan["summary"]
    if not plan["changes"]:
        return "No changes: the machine matches the configuration"
    return (
        f"Plan: {summary['add']} to add, {summary['change']} to change, "
        f"{summary['destroy']} to destroy"
    )


def _resource_diff(change):
    """One resource of the plan as Ansible shows a diff: its attributes before and after."""
    action = _DIFF_ACTIONS.get(change["action"], change["action"])
    return {
        "before_header": change["address"],
        "after_header": f"{change['address']} ({action})",
        "before": _attributes_text(change["before"]),
        "after": _attributes_text(change["after"]),
    }


def _attributes_text(attributes):
    if attributes is None:
        return ""
    return "".join(
        f"{key} = {json.dumps(value, sort_keys=True)}\n"
        for key, value in sorted(attributes.items())
    )


if __name__ == "__main__":
    main()
