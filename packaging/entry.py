"""Entry point of the frozen app: the same ``app.cli.main`` as the console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
