"""The `spineplan` console command.

``spineplan [PATH] [--screenshot OUT.png]`` opens the workstation (the bundled sample case 1
when PATH is omitted). ``spineplan COMMAND ...`` runs a command-line tool; each lives in
``app/commands/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``.

A user's mistake (a SpineplanError) reaches the terminal as one line on stderr and exit
status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from imaging.errors import SpineplanError

#: Command name -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("app.commands.info", "list the DICOM studies and series under a path"),
    "pdd": ("app.commands.pdd", "central-axis depth dose computed by the dose engine in water"),
    "profile": ("app.commands.profile", "off-axis profile and penumbra from the dose engine"),
    "plan": ("app.commands.plan", "plan a case file: field, dose, coverage, DICOM and PDF exports"),
    "field": ("app.commands.field", "field limits and beam set-up of a case file, without dose"),
    "score": ("app.commands.score", "score a trainee's case file against a reference case file"),
    "deidentify": ("app.commands.deidentify", "de-identify a study or a case for teaching"),
    "register": ("app.commands.register", "register an MR onto the planning CT (DICOM REG)"),
    "machine": ("app.commands.machine", "commission a unit from its measured data; list, check"),
    "pacs": ("app.commands.pacs", "the department's PACS: echo, find, get, send; its nodes"),
}

EXIT_BAD_INPUT = 2


def _command_parser(name: str) -> argparse.ArgumentParser:
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"spineplan {name}", description=help_text)
    module.add_arguments(parser)
    parser.set_defaults(_run=module.run)
    return parser


def _gui_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<12}{text}" for name, (_, text) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="spineplan",
        description="Open the spineplan workstation, or run a command (spineplan COMMAND -h).",
        epilog=f"commands:\n{commands}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "path", nargs="?", help="DICOM folder, file or case file to open (default: sample case 1)"
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help=(
            "load, render the main window offscreen into OUT.png and exit: status 0, or 1 when "
            "the Messages panel lists an error (each printed), 2 when nothing could be shown"
        ),
    )
    return parser


def _run_gui(args: argparse.Namespace) -> int:
    from app.gui import run_gui  # Qt is imported only for the GUI

    return run_gui(args.path, screenshot=args.screenshot)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console command; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
            return int(args._run(args))
        return _run_gui(_gui_parser().parse_args(argv))
    except SpineplanError as error:
        print(f"spineplan: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("spineplan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug: still one line, the traceback on request
        if os.environ.get("SPINEPLAN_DEBUG"):
            raise
        print(
            f"spineplan: internal error: {type(error).__name__}: {error} "
            "(set SPINEPLAN_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
