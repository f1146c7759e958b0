"""The Qt desktop front end: thin over ``app.services``; widgets never run SQL."""

from ui.qt_compat import protect_singletons

protect_singletons()  # before any screen is built: some PySide6 builds would otherwise abort a long session
