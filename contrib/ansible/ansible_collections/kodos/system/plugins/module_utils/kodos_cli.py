"""Running the kodos CLI on the managed host, for the collection's modules.

The modules never import kodos: they run its command line, JSON out, so they work with any
connection plugin and any Python on the host, and kodos's own checks (the lock, the sandbox,
its located errors) stay in one place. A failure becomes `failed: true` with kodos's error
lines as `msg`, never a Python traceback.
"""

from __future__ import annotations

import json
import os

# What kodos prints before each error line on stderr (kodos.cli: "error: ...", and the
# promise-keeping "internal error: ..." for a bug).
_ERROR_PREFIXES = ("error: ", "internal error: ")
# Colour and terminal widths are for people; the modules read the words.
_ENVIRONMENT = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}


def kodos_command(module):
    """The kodos executable: `kodos_bin`, or `kodos` on the host's PATH."""
    given = module.params.get("kodos_bin")
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            module.fail_json(msg=f"kodos_bin {given} is not an executable file on this host")
        return given
    found = module.get_bin_path("kodos")
    if found is None:
        module.fail_json(
            msg="kodos was not found on this host's PATH "
            f"({os.environ.get('PATH', '')}): install kodos there, or set kodos_bin"
        )
    return found


def run_json(module, argv):
    """Run kodos with `argv` (its first item the executable) and return the JSON document it
    prints; on failure, fail the task with kodos's error lines."""
    rc, out, err = module.run_command(argv, environ_update=_ENVIRONMENT)
    if rc != 0:
        module.fail_json(msg=error_message(err, rc), rc=rc, cmd=argv)
    try:
        return json.loads(out)
    except ValueError:
        module.fail_json(
            msg=f"{argv[0]} printed no JSON result (is it a kodos with --json?)",
            rc=rc,
            cmd=argv,
        )
    return None  # not reached: fail_json exits


def error_message(stderr, rc):
    """kodos's error lines (each problem is one located line), without the progress and hint
    lines around them; failing that, the last line it printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(_ERROR_PREFIXES)]
    if errors:
        return "\n".join(errors)
    if lines:
        return lines[-1]
    return f"kodos failed with exit status {rc} and said nothing"


def common_arguments(module):
    """`--root`, then `--lua-path` once per directory."""
    params = module.params
    argv = ["--root", params["root"]]
    for directory in params.get("lua_path") or ():
        argv += ["--lua-path", directory]
    return argv
