"""``python -m app`` is the same entry point as the ``mroqc-desk`` console script."""

from app.cli import main

raise SystemExit(main())
