"""`netcanvas`: headless subcommands go to the backend CLI, everything else opens the app."""

from __future__ import annotations

import os
import sys

CLI_OPTIONS = {"--version", "-V", "--help", "-h"}


def main(argv: list[str] | None = None) -> int:
    from netcanvas.backend.cli import COMMANDS

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and (argv[0] in COMMANDS or argv[0] in CLI_OPTIONS):
        from netcanvas.backend.cli import main as cli_main

        try:
            status = cli_main(argv)
            sys.stdout.flush()
            return status
        except BrokenPipeError:  # `netcanvas check FILE | head` closed the pipe: end quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
    from netcanvas.app.launch import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
