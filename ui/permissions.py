"""The window reflects what the signed-in user's role may do: a control for something the role
may not do is disabled, and its tooltip says who may. The services refuse it anyway
(``app.domain.permissions``); this only keeps a person from trying.

A gated control stays disabled whatever else the page does with it later (an Undo button that
the page enables after a change, say): an event filter puts it back.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from app.domain.permissions import Actor, Permission, who_may
from app.storage.database import Database

GATED = "mroqc_gated_permission"


def refusal(permission: Permission) -> str:
    """"Only a coordinator (CDA) or an administrator may change cases.": a tooltip's sentence."""
    text = f"{who_may(permission)} may {permission.value}."
    return text[0].upper() + text[1:]


class _KeepDisabled(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.EnabledChange and isinstance(watched, QWidget) and watched.isEnabled() \
                and watched.property(GATED):
            watched.setEnabled(False)
        return False


_filter: _KeepDisabled | None = None


def _keeper() -> _KeepDisabled:
    global _filter
    if _filter is None:
        _filter = _KeepDisabled()
    return _filter


def may(db: Database | None, permission: Permission) -> bool:
    actor: Actor | None = db.actor if db is not None else None
    return actor is not None and actor.may(permission)


def gate(db: Database, permission: Permission, *widgets: QWidget) -> bool:
    """Disable ``widgets`` (for good) unless the signed-in user may; returns whether they may."""
    if may(db, permission):
        return True
    for widget in widgets:
        widget.setProperty(GATED, permission.name)
        widget.setEnabled(False)
        widget.setToolTip(refusal(permission))
        widget.installEventFilter(_keeper())
    return False
