"""`netcanvas COMMAND ...`: the headless commands listed in COMMANDS.

Exit status: 0 done, 1 the model has errors or its export failed, 2 bad arguments or a
file that cannot be read. Every refusal is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from netcanvas.backend.cli.common import UsageError

COMMANDS = ("check", "code", "export", "import", "lint", "train", "sweep", "lr-find", "circuit",
            "predict", "attack", "rf", "desktop", "diff")
MODULES = {"import": "import_model", "lr-find": "lr_find"}  # not Python names


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (and exit 2) instead of usage + error."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    from netcanvas import __version__

    parser = _Parser(prog="netcanvas", description="Design, check, export and train neural "
                     "networks saved as .netcanvas projects. Without a command, opens the app.")
    parser.add_argument("-V", "--version", action="version", version=f"netcanvas {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".{MODULES.get(name, name)}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{MODULES.get(name, name)}":
                raise
            continue  # a command not installed in this build
        module.add_parser(subparsers).set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version print and exit 0
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"netcanvas {args.command}: error: {exc}", file=sys.stderr)
        return 2
