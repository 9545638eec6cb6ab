"""``python -m layers_async``: the ``layers-async`` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
