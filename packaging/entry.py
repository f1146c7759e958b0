"""Entry point of the frozen app: the same ``ui.launch.main`` as the console script."""

import sys

from ui.launch import main

if __name__ == "__main__":
    sys.exit(main())
