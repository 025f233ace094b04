"""The `kodos` command line: parse options, call the core, print, return an exit code.

Built with typer (pinned in pyproject.toml: later releases coerce every argument through
pydantic, which doubles a start). The parser is built from the signatures below without
importing any command's body: each command imports its `kodos.commands.*` module when it runs,
so `kodos --help` and `kodos validate` start fast. No `from __future__ import annotations` here:
typer reads every signature to build the parser, and string annotations would make it compile
each one (~10 ms of every start).

Adding a command: a function decorated with `@app.command("name")` (or
`@generations_app.command`), its options from the shared ones below (`ConfigOption`,
`RootOption`, `YesOption`…, so every command names and describes them alike), a docstring (the
help line), and a body of two lines: import `run_name` from `kodos.commands.name`, then
`raise typer.Exit(run_name(...))`. Then `scripts/manpage` regenerates man/kodos.1 and the
README's CLI section lists it.

Errors from the core become one clean message and exit status 1; a traceback appears only with
`--debug`.
"""

import atexit
import gc
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kodos.config import DEFAULT_CONFIG_DIR
from kodos.system.lock import DEFAULT_TIMEOUT as DEFAULT_LOCK_TIMEOUT

# `-h` is `--help` for every command; `kodos` alone (and `kodos generations` alone) prints help
# on standard output and exits 0 (see `_root`).
CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="kodos",
    help="Declarative system manager for Arch Linux: plan, apply into generations, roll back.",
    context_settings=CONTEXT,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
user_app = typer.Typer(
    name="user",
    help="The calling user's home: plan, apply, roll back home generations (no root needed).",
    context_settings=CONTEXT,
)
aur_app = typer.Typer(
    name="aur",
    help="AUR package bases: review what changed since the locked commit.",
    context_settings=CONTEXT,
)
generations_app = typer.Typer(
    name="generations",
    help="The machine's generations: list, show, diff, delete, gc, repair.",
    context_settings=CONTEXT,
)


# ---- options shared by the commands ---------------------------------------------------------

CONFIG_HELP = "The configuration: a directory holding configuration.lua, or a .lua file"


def config_option(default: str) -> Any:  # typer.Option's own type
    """`-c/--config PATH`, typed and described alike everywhere; `default` says what is read
    without it."""
    return typer.Option(
        "-c", "--config", metavar="PATH", help=f"{CONFIG_HELP} (default: {default}).",
        show_default=False,
    )  # fmt: skip


ConfigOption = Annotated[str, config_option(DEFAULT_CONFIG_DIR)]


def _checked_root(value: str) -> Path:
    """--root as given: an empty path or a pseudo file system is refused
    (kodos/system/rootcheck.py)."""
    from kodos.system.rootcheck import checked_root

    return checked_root(value)


RootOption = Annotated[
    Path,
    typer.Option(
        "--root",
        metavar="DIR",
        help="Root directory of the machine to manage.",
        show_default=True,
        parser=_checked_root,
    ),
]
LuaPathOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--lua-path",
        metavar="DIR",
        help="Also read the configuration's modules from DIR (repeatable), after its own "
        "directory and before kodos's lua-lib.",
    ),
]
SyncDirOption = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Directory holding core.db and extra.db to check names."),
]
RefreshOption = Annotated[
    bool, typer.Option(help="Download the sync databases from the configured mirror.")
]
UpgradeOption = Annotated[
    bool,
    typer.Option(
        help="Also upgrade every package: plan refreshes the sync databases from the "
        "configured mirror; apply upgrades against exactly those (pacman -Su)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PlanJsonOption = Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")]
PlanOutOption = Annotated[
    Path | None, typer.Option(metavar="FILE", help="Save the plan to this file.")
]
DetailedExitcodeOption = Annotated[
    bool, typer.Option(help="Exit 0 without changes, 2 with changes, 1 on error.")
]
YesOption = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
LockTimeoutOption = Annotated[
    float,
    typer.Option(metavar="SECONDS", min=0, help="Seconds to wait for another kodos to finish."),
]
GenerationArgument = Annotated[int, typer.Argument(metavar="N", min=0, help="A generation.")]


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        print(f"kodos {version('kodos')}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """kodos reads a configuration.lua describing a whole machine."""
    _help_without_command(ctx)


@generations_app.callback(invoke_without_command=True)
def _generations(ctx: typer.Context) -> None:
    _help_without_command(ctx)


@user_app.callback(invoke_without_command=True)
def _user(ctx: typer.Context) -> None:
    _help_without_command(ctx)


@aur_app.callback(invoke_without_command=True)
def _aur(ctx: typer.Context) -> None:
    _help_without_command(ctx)


def _help_without_command(ctx: typer.Context) -> None:
    """A group called without a command prints its help on standard output and exits 0: asking
    what kodos can do is not an error."""
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())
        raise typer.Exit(0)


# ---- the configuration ----------------------------------------------------------------------


@app.command()
def validate(
    config: ConfigOption = DEFAULT_CONFIG_DIR,
    lua_path: LuaPathOption = None,
    sync_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Also check package names against core.db and extra.db in this directory.",
        ),
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            help="Also check package names, downloading the configured mirror's databases."
        ),
    ] = False,
) -> None:
    """Evaluate and validate a configuration; list every problem with its location."""
    from kodos.commands.validate import run_validate
    from kodos.plan.offline import SyncOptions

    sync = SyncOptions(sync_dir, refresh)
    raise typer.Exit(run_validate(config, tuple(lua_path or ()), sync))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the configuration."""
    from kodos.commands.schema import run_schema

    raise typer.Exit(run_schema())


# ---- plan and apply -------------------------------------------------------------------------


@app.command()
def plan(
    ctx: typer.Context,
    config: ConfigOption = DEFAULT_CONFIG_DIR,
    root: RootOption = Path("/"),
    facts: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Plan against a facts file instead of --root."),
    ] = None,
    json_output: PlanJsonOption = False,
    out: PlanOutOption = None,
    detailed_exitcode: DetailedExitcodeOption = False,
    sync_dir: SyncDirOption = None,
    refresh: RefreshOption = False,
    lua_path: LuaPathOption = None,
    upgrade: UpgradeOption = False,
) -> None:
    """Show what `kodos apply` would change on the machine at --root."""
    if facts is not None and _given(ctx, "root"):
        from kodos.errors import KodosError

        raise KodosError(
            "--facts and --root exclude each other: a plan is made against a facts file or "
            "against the machine at --root"
        )
    from kodos.commands.plan import run_plan
    from kodos.plan.build import PlanOptions

    if out is not None:
        # A plan file is applied later, maybe from another directory: it names the
        # configuration absolutely.
        config = str(Path(config).absolute())
    options = PlanOptions(
        config, root, facts, sync_dir, refresh, lua_path=tuple(lua_path or ()), upgrade=upgrade
    )
    raise typer.Exit(run_plan(options, json_output, out, detailed_exitcode))


def _given(ctx: typer.Context, name: str) -> bool:
    """Was the option `name` given on the command line (not left at its default)?"""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


@app.command("apply")
def apply_command(
    plan_file: Annotated[
        Path | None, typer.Argument(metavar="[PLAN]", help="A plan saved with `plan --out`.")
    ] = None,
    config: Annotated[
        str | None, config_option(f"a saved PLAN's configuration, else {DEFAULT_CONFIG_DIR}")
    ] = None,
    root: RootOption = Path("/"),
    yes: YesOption = False,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
    keep_failed: Annotated[
        bool, typer.Option(help="Keep a failed generation's snapshot, marked failed.")
    ] = False,
    sync_dir: SyncDirOption = None,
    refresh: RefreshOption = False,
    lua_path: LuaPathOption = None,
    upgrade: UpgradeOption = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (the plan goes to stderr).")
    ] = False,
) -> None:
    """Build a new generation with the configuration's changes; it boots next."""
    from kodos.apply.transaction import ApplyOptions
    from kodos.commands.apply import config_of_saved_plan, run_apply

    if config is None:
        config = config_of_saved_plan(plan_file) if plan_file else DEFAULT_CONFIG_DIR
    options = ApplyOptions(
        config,
        root,
        plan_file,
        lock_timeout,
        keep_failed,
        sync_dir,
        refresh,
        lua_path=tuple(lua_path or ()),
        upgrade=upgrade,
    )
    raise typer.Exit(run_apply(options, yes, json_output))


@app.command()
def show(
    plan_file: Annotated[Path, typer.Argument(metavar="FILE", help="A plan saved with --out.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Render a saved plan."""
    from kodos.commands.plan import run_show

    raise typer.Exit(run_show(plan_file, json_output))


@app.command("facts")
def facts_command(
    root: RootOption = Path("/"),
    config: Annotated[
        str | None, config_option("none; with one, the files it manages are read too")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write the actual state of the machine at --root as JSON, for `plan --facts`."""
    from kodos.commands.facts import run_facts

    raise typer.Exit(run_facts(root, config, out))


# ---- a new machine ----------------------------------------------------------------------------


@app.command("install")
def install_command(
    config: ConfigOption = DEFAULT_CONFIG_DIR,
    image: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Install onto this image file (sparse, on a loop device) instead.",
        ),
    ] = None,
    size: Annotated[
        str | None, typer.Option(metavar="SIZE", help="Size of the --image file, e.g. 8G.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking.")] = False,
    sync_dir: SyncDirOption = None,
    siglevel: Annotated[
        str,
        typer.Option(help="pacman SigLevel for the new system (Never: unsigned mirrors)."),
    ] = "Required DatabaseOptional",
    lua_path: LuaPathOption = None,
) -> None:
    """Erase the configured disk and install the configuration as generation 1."""
    from kodos.commands.install import run_install
    from kodos.install.options import InstallOptions

    options = InstallOptions(config, image, size, sync_dir, siglevel, tuple(lua_path or ()))
    raise typer.Exit(run_install(options, yes))


@app.command("shell", context_settings={"allow_interspersed_args": False})
def shell_command(
    command: Annotated[
        list[str] | None,
        typer.Argument(metavar="-- COMMAND [ARGS]", help="Run this instead of $SHELL."),
    ] = None,
    packages: Annotated[
        list[str] | None,
        typer.Option("-p", "--package", metavar="PKG", help="A package to add (repeatable)."),
    ] = None,
    root: RootOption = Path("/"),
    list_cached: Annotated[
        bool, typer.Option("--list", help="List the cached environments.")
    ] = False,
    gc_cache: Annotated[bool, typer.Option("--gc", help="Remove the cached environments.")] = False,
) -> None:
    """A throwaway shell with extra packages over the system at --root, which stays untouched."""
    from kodos.commands.shell import run_gc, run_list, run_shell

    if list_cached:
        raise typer.Exit(run_list())
    if gc_cache:
        raise typer.Exit(run_gc())
    raise typer.Exit(run_shell(root, packages or [], command or []))


@app.command("vm")
def vm_command(
    image: Annotated[Path, typer.Argument(metavar="IMAGE", help="A disk image to boot.")],
    timeout: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            min=0,
            help="Stop the machine after this many seconds (default: never).",
        ),
    ] = None,
) -> None:
    """Boot a disk image in QEMU (UEFI, OVMF), its serial console on this terminal."""
    from kodos.commands.vm import run_vm

    raise typer.Exit(run_vm(image, timeout))


# ---- generations --------------------------------------------------------------------------


@app.command("rollback")
def rollback_command(
    generation: Annotated[
        int | None,
        typer.Argument(metavar="[N]", min=0, help="Default: the one before the default one."),
    ] = None,
    root: RootOption = Path("/"),
    json_output: JsonOption = False,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Make generation N boot by default (nothing is copied); reboot to run it."""
    from kodos.commands.rollback import run_rollback

    raise typer.Exit(run_rollback(root, generation, json_output, lock_timeout))


app.add_typer(generations_app)
app.add_typer(aur_app)


@aur_app.command("diff")
def aur_diff(
    name: Annotated[str, typer.Argument(metavar="NAME", help="An AUR package (or its base).")],
    config: ConfigOption = DEFAULT_CONFIG_DIR,
    root: RootOption = Path("/"),
    lua_path: LuaPathOption = None,
) -> None:
    """Print the whole diff of NAME's base from its locked commit to the AUR's current one."""
    from kodos.commands.aur import run_aur_diff

    raise typer.Exit(run_aur_diff(config, root, name, tuple(lua_path or ())))


@generations_app.command("list")
def generations_list(root: RootOption = Path("/"), json_output: JsonOption = False) -> None:
    """List every generation, marking the running one and the one that boots by default."""
    from kodos.commands.generations import run_list

    raise typer.Exit(run_list(root, json_output))


@generations_app.command("diff")
def generations_diff(
    a: Annotated[int, typer.Argument(metavar="A", min=0, help="The generation before.")],
    b: Annotated[int, typer.Argument(metavar="B", min=0, help="The generation after.")],
    root: RootOption = Path("/"),
    json_output: JsonOption = False,
) -> None:
    """Show what changed from generation A to generation B: packages, managed resources."""
    from kodos.commands.generations import run_diff

    raise typer.Exit(run_diff(root, a, b, json_output))


@generations_app.command("show")
def generations_show(
    generation: GenerationArgument, root: RootOption = Path("/"), json_output: JsonOption = False
) -> None:
    """Show generation N: its record, the configuration that built it, its log, its boot entry."""
    from kodos.commands.generations import run_show

    raise typer.Exit(run_show(root, generation, json_output))


@generations_app.command("delete")
def generations_delete(
    generation: GenerationArgument,
    root: RootOption = Path("/"),
    yes: YesOption = False,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Delete generation N (never the running one or the one that boots by default)."""
    from kodos.commands.generations import run_delete

    raise typer.Exit(run_delete(root, generation, yes, lock_timeout))


@generations_app.command("gc")
def generations_gc(
    keep: Annotated[
        int,
        typer.Option(metavar="K", min=0, help="How many of the newest ready ones to keep."),
    ],
    root: RootOption = Path("/"),
    yes: YesOption = False,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Delete all but the newest K ready generations (and the running and default ones)."""
    from kodos.commands.generations import run_gc

    raise typer.Exit(run_gc(root, keep, yes, lock_timeout))


@generations_app.command("repair")
def generations_repair(
    root: RootOption = Path("/"),
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Rebuild a missing or damaged index from the generations' records, the boot entries and
    the subvolumes; nothing is deleted."""
    from kodos.commands.generations import run_repair

    raise typer.Exit(run_repair(root, lock_timeout))


# ---- a user's home ------------------------------------------------------------------------

USER_CONFIG_DEFAULT = "~/.config/kodos if it exists, else /etc/kodos"
UserConfigOption = Annotated[str | None, config_option(USER_CONFIG_DEFAULT)]
ForOption = Annotated[
    str | None,
    typer.Option(
        "--for",
        metavar="NAME",
        help="As root: act for user NAME, as NAME (their identity and home).",
    ),
]
BackupOption = Annotated[
    str | None,
    typer.Option(
        metavar="SUFFIX",
        help="Move a file kodos did not place aside (to PATH + SUFFIX) instead of refusing.",
    ),
]

app.add_typer(user_app)


@user_app.command("plan")
def user_plan(
    config: UserConfigOption = None,
    for_user: ForOption = None,
    json_output: PlanJsonOption = False,
    out: PlanOutOption = None,
    detailed_exitcode: DetailedExitcodeOption = False,
) -> None:
    """Show what `kodos user apply` would change in your home."""
    from kodos.commands.user import run_user_plan

    raise typer.Exit(run_user_plan(config, for_user, json_output, out, detailed_exitcode))


UserPlanArgument = Annotated[
    Path | None,
    typer.Argument(metavar="[PLAN]", help="A plan saved with `user plan --out`."),
]


@user_app.command("apply")
def user_apply(
    plan_file: UserPlanArgument = None,
    config: UserConfigOption = None,
    for_user: ForOption = None,
    yes: YesOption = False,
    backup: BackupOption = None,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Make and activate a new home generation with your section's changes."""
    from kodos.commands.user import run_user_apply

    raise typer.Exit(run_user_apply(config, for_user, plan_file, yes, backup, lock_timeout))


# Upstream's name for `kodos user apply`: the same command, listed with its own help line.
app.command("rebuild-user", help="The same as `kodos user apply` (upstream's name).")(user_apply)


@user_app.command("rollback")
def user_rollback(
    generation: Annotated[
        int | None,
        typer.Argument(metavar="[N]", min=1, help="Default: the one before the active one."),
    ] = None,
    for_user: ForOption = None,
    backup: BackupOption = None,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Activate home generation N again (its own copies of your files)."""
    from kodos.commands.user import run_user_rollback

    raise typer.Exit(run_user_rollback(generation, for_user, backup, lock_timeout))


@user_app.command("generations")
def user_generations(for_user: ForOption = None, json_output: JsonOption = False) -> None:
    """List your home generations, marking the active one."""
    from kodos.commands.user import run_user_generations

    raise typer.Exit(run_user_generations(for_user, json_output))


def _without_pydantic_plugins() -> None:
    """kodos uses no pydantic plugin, and a plugin could change how kodos validates its files.
    Finding them reads the metadata of every installed distribution (~20 ms) the first time a
    model is built, so they are disabled; and since pydantic's plugin loader imports
    importlib.metadata (~15 ms) even then, it is replaced by what it answers when disabled: no
    plugins. pydantic imports it only for `get_plugins` (tests/test_cli_startup.py holds that)."""
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    if "pydantic.plugin._loader" not in sys.modules:
        import types

        loader = types.ModuleType("pydantic.plugin._loader", "kodos: pydantic plugins disabled")
        loader.get_plugins = tuple  # type: ignore[attr-defined]  # () : no plugins
        sys.modules["pydantic.plugin._loader"] = loader


def main() -> None:
    # A short-lived command: the cyclic garbage collector only costs time here (~10% of a
    # plan), and freezing what exists at exit spares the interpreter a final sweep.
    gc.disable()
    atexit.register(gc.freeze)
    _without_pydantic_plugins()
    debug = "--debug" in sys.argv[1:]
    from kodos.errors import KodosError, ProblemsError

    try:
        app(prog_name="kodos")
    except ProblemsError as err:
        from kodos.commands.report import print_problems

        print_problems(err.problems)
        sys.exit(1)
    except KodosError as err:
        if debug:
            raise
        from kodos.commands.report import print_error

        print_error(f"error: {err}")
        sys.exit(1)
    except Exception as err:  # the promise: no traceback without --debug
        if debug:
            raise
        from kodos.commands.report import print_error

        print_error(f"internal error: {type(err).__name__}: {err}")
        print("run again with --debug for the traceback, and please report it", file=sys.stderr)
        sys.exit(1)
