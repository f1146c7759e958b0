"""The ``mroqc-desk`` entry point: the command line of ``app.cli`` with the window as its front end.

``app`` never imports ``ui``: the command line is handed this front end, which opens the window
(no command) and renders screenshots (``screenshot``). Nothing here imports Qt until it is used,
so ``--version`` and the commands stay as fast as ``app.cli`` alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.commands.output import UsageError


class QtFrontEnd:
    """The window and the screenshots, for ``app.cli``."""

    def open_window(self, url: str | None, sign_in: Callable[[str], Any] | None, user: str | None) -> int:
        try:  # on first use: ui.application adds ~0.03 s (wall time of ``python -c``) to every command
            from ui.application import run_gui
        except ImportError as exc:  # a broken Qt install must still give one clear line
            raise UsageError(f"The window cannot start: {exc}") from None
        return run_gui(url, sign_in=sign_in, user=user)

    def save_screenshots(self, db: Any, out: Path, as_of: dt.date | None) -> list[Path]:
        try:
            from ui.screenshots import save_all
        except ImportError as exc:
            raise UsageError(f"Screenshots need the window toolkit: {exc}") from None
        return save_all(db, out, as_of)


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli import main as command_line

    return command_line(argv, front_end=QtFrontEnd())
