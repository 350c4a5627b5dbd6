"""``python -m schedopt``: the same command line as the ``schedopt`` script."""

import sys

from schedopt.cli import main

sys.exit(main())
