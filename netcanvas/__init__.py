"""NetCanvas: design, train and export neural networks visually."""

__version__ = "0.1.0"
APP_ID = "io.github.netcanvas.netcanvas"  # the .desktop, icon and AppStream id
