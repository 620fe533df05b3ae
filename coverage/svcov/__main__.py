"""``python -m svcov``: the same as the ``svcov`` command."""

import sys

from .cli import main

sys.exit(main())
