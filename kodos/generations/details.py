"""One generation told whole: `kodos generations show N`.

What the index lists about it (`kodos.generations.history.view`), its own record (inside its
subvolume: the configuration that built it, what it manages, its packages), the log of the
apply that built it (when the record names one, kept under the top level's `kodos/logs/`) and
its boot entry on the ESP. Missing parts are said, not guessed: the adopted generation 0 has no
record, a record written before kodos kept configurations has none, a failed build has no
boot entry.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kodos.errors import KodosError
from kodos.generations.history import GenerationView, read_history, view
from kodos.generations.host import ManagedRoot, shown_top
from kodos.state.generation import GenerationRecord, read_record


class GenerationDetails(BaseModel):
    """The answer of `kodos generations show N` (also its `--json`)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    generation: GenerationView
    record: GenerationRecord | None = Field(
        description="None for a root kodos adopted (it has no record) or a build that failed "
        "before writing one."
    )
    record_problem: str | None = Field(None, description="Why the record could not be read.")
    log: str | None = Field(None, description="The apply's log, when the record names one.")
    log_problem: str | None = Field(None, description="Why a named log could not be read.")
    boot_entry: str | None = Field(description="loader/entries/kodos-N.conf; None without one.")
    boot_entry_path: str = Field(description="Where the entry is, as the host names it.")


def generation_details(machine: ManagedRoot, top: Path, gen_id: int) -> GenerationDetails:
    """Everything kodos knows about generation `gen_id` (`UnknownGeneration` when unlisted)."""
    from kodos.generations.bootentries import entry_file_name, read_on_esp
    from kodos.generations.deletion import subvolume_present
    from kodos.systemd.boot import ENTRIES_DIR

    history = read_history(machine, top)
    shown = view(history, gen_id)
    record, record_problem = None, None
    if subvolume_present(top, shown.subvolume):
        try:
            record = read_record(top / shown.subvolume, f"{shown_top(machine)}/{shown.subvolume}")
        except KodosError as err:
            record_problem = str(err)
    else:
        record_problem = f"its subvolume {shown.subvolume} is missing"
    log, log_problem = _log(machine, top, record)
    entry = ENTRIES_DIR / entry_file_name(machine.esp, gen_id)
    try:
        text: str | None = read_on_esp(machine.esp, entry) or None
    except KodosError as err:
        text = f"(unreadable: {err})"
    return GenerationDetails(
        generation=shown,
        record=record,
        record_problem=record_problem,
        log=log,
        log_problem=log_problem,
        boot_entry=text,
        boot_entry_path=str(machine.esp / entry),
    )


def _log(
    machine: ManagedRoot, top: Path, record: GenerationRecord | None
) -> tuple[str | None, str | None]:
    """The text of the log the record names: a path relative to the top level, or an absolute
    one on the machine's root (a log on the shared /var/log)."""
    from kodos.system.rootfs import read_text_in_root

    if record is None or record.log is None:
        return None, None
    base = machine.root if record.log.startswith("/") else top
    try:
        return read_text_in_root(base, record.log.lstrip("/")), None
    except FileNotFoundError:
        return None, "it is gone"
    except (OSError, UnicodeDecodeError, KodosError) as err:
        return None, f"it cannot be read: {err}"
