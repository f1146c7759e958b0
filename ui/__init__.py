"""The Qt desktop front end: thin over ``app.services``; widgets never run SQL."""

from ui.qt_compat import protect_when_qt_loads

# before any screen is built (some PySide6 builds would otherwise abort a long session), and
# only once Qt loads: the command line (``ui.launch``) runs without it
protect_when_qt_loads()
