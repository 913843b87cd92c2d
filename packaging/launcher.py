"""Entry script of the PyInstaller bundle: the same `main` as the `netcanvas` console script."""

import sys

from netcanvas.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
