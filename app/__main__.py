"""``python -m app``: the same as the ``mroqc-desk`` console script (``ui.launch``), which adds
the window to the command line of ``app.cli``; without the window toolkit, the commands alone."""

try:
    from ui.launch import main
except ImportError:  # pragma: no cover - an install without the ui package
    from app.cli import main

raise SystemExit(main())
