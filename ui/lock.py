"""The idle lock: after the facility's idle minutes (or File → Lock, Ctrl+L) every window is covered
and only the unlock form shows, as KeePassXC locks its databases.

``IdleWatcher`` restarts one timer on any keyboard or mouse input in any window of the app (a
filter where input enters each window, ``ui.window_events``). Locking covers every visible window (the main window and any
dialog open over it, such as a half-typed case form) with an opaque panel, so no patient value
stays on screen, and opens ``LockDialog`` on top. The same user unlocks with their password and
finds everything as it was; another user may sign in instead, and the main window then discards
the first user's unsaved forms (see ``ui.session.UserSession.lock``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import Actor
from app.security.signin import SignInFailed, check_credentials
from app.storage.database import Database
from ui.dialog_fit import grows_to_fit
from ui.window_events import stop_watching, watch_every_window

INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.ShortcutOverride,
})


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without keyboard or mouse input in any window of the app."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        watch_every_window(self)

    def set_minutes(self, minutes: int) -> None:
        self.set_interval_ms(int(minutes) * 60_000)

    def set_interval_ms(self, ms: int) -> None:
        """The idle time in milliseconds (tests use a short one)."""
        self.timer.setInterval(ms)
        self.timer.start()

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False

    def stop(self) -> None:
        stop_watching(self)
        self.timer.stop()


class Cover(QWidget):
    """An opaque panel over the whole of one window (menus included) while the app is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lock_cover")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#lock_cover { background: #2b3a4a; } QLabel { color: white; }")
        label = QLabel("<h2>Locked</h2><p>MROQC Facility Desk is locked. Sign in to continue.</p>")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
            self.raise_()
        elif event.type() == QEvent.Type.ChildAdded:  # a widget added later must not show above the cover
            QTimer.singleShot(0, self.raise_)
        return False

    def remove(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.hide()
        self.deleteLater()


def cover_every_window(exclude: QWidget | None = None) -> list[Cover]:
    return [Cover(w) for w in QApplication.topLevelWidgets()
            if w.isVisible() and w is not exclude and not isinstance(w, Cover)]


class LockDialog(QDialog):
    """Unlock (the signed-in user's password), sign in as someone else, or quit. After ``exec``:
    ``actor`` is who signed in (None: quit), ``quit_requested`` whether to end the app."""

    def __init__(self, db: Database, facility: str, *, switching: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert db.actor is not None
        self.db = db
        self.current = db.actor.name
        self.actor: Actor | None = None
        self.quit_requested = False
        self.setWindowTitle("Locked — MROQC Facility Desk")
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.user = QLineEdit(self.current)
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMinimumWidth(260)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b22222;")
        self.error.hide()
        form = QFormLayout()
        self.user_label = QLabel("&User name")
        self.user_label.setBuddy(self.user)
        form.addRow(self.user_label, self.user)
        form.addRow("&Password", self.password)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.other_button = QPushButton("Sign in as &someone else")
        self.other_button.clicked.connect(self.someone_else)
        self.quit_button = QPushButton("&Quit")
        self.quit_button.clicked.connect(self.quit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        grows_to_fit(self)  # the refusal and the warning about unsaved forms are read whole
        self.facility = facility
        if switching:
            self.someone_else()
        else:
            self._as_same_user()

    def _as_same_user(self) -> None:
        self.text.setText(f"<h3>Locked</h3><p>{self.facility}: signed in as <b>{self.current}</b>. "
                          "Type your password to continue where you left off.</p>")
        self.user.setText(self.current)
        self.user.hide()
        self.user_label.hide()
        self.password.setFocus()

    def someone_else(self) -> None:
        self.text.setText(f"<h3>Sign in</h3><p>{self.facility}: {self.current}'s unsaved forms are discarded "
                          "when someone else signs in.</p>")
        self.user.clear()
        self.user.show()
        self.user_label.show()
        self.other_button.hide()
        self.unlock_button.setText("&Sign in")
        self.user.setFocus()

    def try_unlock(self) -> None:
        try:
            self.actor = check_credentials(self.db, self.user.text(), self.password.text())
        except SignInFailed as exc:
            self.error.setText(str(exc).removeprefix("sign-in failed: ").capitalize() + ".")
            self.error.show()
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()

    def quit(self) -> None:
        self.quit_requested = True
        self.accept()

    def reject(self) -> None:  # Esc and the window's close do not unlock
        self.password.setFocus()
