"""``python -m ui``: the same as the ``mroqc-desk`` console script (``ui.launch``): the command
line of ``app.cli`` with the window as its front end."""

from ui.launch import main

raise SystemExit(main())
