"""The `kodos` command line: parse options, call the core, print, return an exit code.

Commands stay a few lines each and import their work lazily, so `kodos --help` and
`kodos validate` start fast. Errors from the core become one clean message and exit status 1;
a traceback appears only with `--debug`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kodos.config import DEFAULT_CONFIG_DIR

app = typer.Typer(
    name="kodos",
    help="Declarative system manager for Arch Linux: plan, apply into generations, roll back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOption = Annotated[
    str,
    typer.Option(
        "-c",
        "--config",
        help="A directory holding configuration.lua, or a .lua file.",
        show_default=True,
    ),
]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """kodos reads a configuration.lua describing a whole machine."""


@app.command()
def validate(config: ConfigOption = DEFAULT_CONFIG_DIR) -> None:
    """Evaluate and validate a configuration; list every problem with its location."""
    from kodos.commands.validate import run_validate

    raise typer.Exit(run_validate(config))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the configuration."""
    from kodos.commands.schema import run_schema

    raise typer.Exit(run_schema())


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    from kodos.errors import ConfigError, KodosError

    try:
        app()
    except ConfigError as err:
        from kodos.commands.report import print_problems

        print_problems(err.problems)
        sys.exit(1)
    except KodosError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except Exception as err:  # the promise: no traceback without --debug
        if debug:
            raise
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print("run again with --debug for the traceback, and please report it", file=sys.stderr)
        sys.exit(1)
