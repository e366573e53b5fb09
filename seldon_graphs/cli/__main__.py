"""`python -m seldon_graphs.cli ARGS`: the `seldon-graphs` command, without the console script."""

import sys

from . import entry

sys.exit(entry())
