"""``python -m app``: the command line of ``app.cli`` alone — the core never imports the window
toolkit, so this runs where Qt is absent. ``python -m ui`` (or the ``mroqc-desk`` console script)
is the same command line with the window as its front end."""

from app.cli import main

raise SystemExit(main())
