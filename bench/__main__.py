"""``python -m bench``: the benchmark. See bench/run.py."""

from bench.run import main

raise SystemExit(main())
