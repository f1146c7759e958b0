"""Keyboard and mouse input watched where it enters each window, not in every event of the app.

An event filter on the application sees every event Qt sends to every object (layouts, paints,
timers, each label's own), and a Python one pays for each: PySide finds or makes a Python wrapper
for the object and the event and takes the interpreter's lock, which a background job may hold.
Two of them (the idle lock, Ctrl+C on tables) were about a third of the GUI thread's time while
the Dashboard followed a new as-of date. Input from the window system reaches a top-level
window's ``QWindow`` first, and only then the widget it is for, so a filter there sees every key
and mouse event of that window and little else.

``watch_every_window`` installs a filter on each top-level window there is and on each one that
takes the keyboard later (a dialog, a second window): a window a person types or clicks in has
taken it. The filter's ``watched`` is then that ``QWindow``; the widget a key goes to is
``watched.focusObject()``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication, QWindow


class _Installer(QObject):
    """Puts its parent's filter on each window that takes the keyboard (gone with its parent)."""

    @Slot(QWindow)
    def install(self, window: QWindow | None) -> None:
        if window is not None:
            window.installEventFilter(self.parent())  # a second install moves it first, never twice


def watch_every_window(watcher: QObject) -> None:
    """``watcher.eventFilter`` sees the input of every top-level window, now and later."""
    app = QGuiApplication.instance()
    if app is None:
        return
    for window in QGuiApplication.topLevelWindows():
        window.installEventFilter(watcher)
    installer = _Installer(watcher)
    installer.setObjectName("window-input-installer")
    app.focusWindowChanged.connect(installer.install)  # type: ignore[attr-defined]


def stop_watching(watcher: QObject) -> None:
    """``watcher`` no longer sees any window's input."""
    installer = watcher.findChild(_Installer, "window-input-installer")
    if installer is not None:
        installer.setParent(None)
        installer.deleteLater()
    for window in QGuiApplication.topLevelWindows():
        window.removeEventFilter(watcher)
