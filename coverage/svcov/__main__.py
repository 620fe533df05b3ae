"""``python -m svcov``: the same as the ``svcov`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # not when a spawned process (Dask workers, Windows) imports the parent's main module
    sys.exit(main())
