"""Where the main window stands: as it was left last time, never larger than the screen.

Kept out of ``MainWindow``: a size and a place, remembered in the user's settings."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.settings_file import settings

GEOMETRY_KEY = "main_window/geometry"
FIRST_SIZE = (1280, 760)  # the first time, centred
SMALLEST = (1024, 640)  # a usable register (a geometry saved by an offscreen run can be tiny)
FRAME = 40  # the window manager's title bar and borders, which the size does not include


def restore_geometry(window: QWidget) -> None:
    """Where the window was last time; the first time 1280×760, centred. Never larger than the
    screen's available area (1366×768 laptops: the status bar must stay visible)."""
    geometry = settings().value(GEOMETRY_KEY)
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*FIRST_SIZE)
    screen = window.screen()
    if screen is None:
        return
    room = screen.availableGeometry()
    width = min(max(window.width(), SMALLEST[0]), room.width())
    height = min(max(window.height(), SMALLEST[1]), room.height() - FRAME)
    window.resize(width, height)
    if geometry is None:  # the first time: centred
        window.move(room.x() + (room.width() - width) // 2, room.y() + max(0, (room.height() - height - FRAME) // 2))
    else:  # where it was, but wholly on this screen (a screen may have got smaller since)
        window.move(min(max(window.x(), room.x()), room.x() + room.width() - width),
                    min(max(window.y(), room.y()), room.y() + room.height() - height - FRAME))


def save_geometry(window: QWidget) -> None:
    """Remember where the window stands, for ``restore_geometry`` next time."""
    settings().setValue(GEOMETRY_KEY, window.saveGeometry())
