"""What the subcommands share: loading a project and saying what went wrong in one line."""

from __future__ import annotations

import argparse
import sys

from netcanvas.backend.project import Project


class UsageError(Exception):
    """Bad arguments or an unreadable file: one line on stderr, exit 2."""


def fail(command: str, message: str, status: int) -> int:
    """Print each line of `message` as an error of `command`; returns `status`."""
    for line in message.splitlines() or [""]:
        print(f"netcanvas {command}: error: {line}", file=sys.stderr)
    return status


def load(path: str) -> Project:
    from netcanvas.backend.project_io import ProjectFileError, load_project

    try:
        return load_project(path)
    except ProjectFileError as exc:
        raise UsageError(str(exc)) from None


def project_command(subparsers, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """A subcommand whose first argument is a .netcanvas project file."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.add_argument("file", help="the .netcanvas project")
    return p


def trained_model_command(subparsers, name: str, help: str,
                          description: str) -> argparse.ArgumentParser:
    """A subcommand on a project file and the trained weights given by --weights."""
    p = project_command(subparsers, name, help=help, description=description)
    p.add_argument("--weights", required=True, metavar="W",
                   help="trained weights: a .safetensors file, a checkpoint or a run folder")
    return p
