"""svcov: 15-minute neighbourhood service coverage, layout rules and site selection for Chinese districts.

The import name is ``coverage`` (the project's own package, not coverage.py). The pipeline's stages are
subpackages: :mod:`coverage.data` (boundaries, facilities, population, validation, coordinate systems),
:mod:`coverage.network`, :mod:`coverage.access`, :mod:`coverage.rules`, :mod:`coverage.siting` and
:mod:`coverage.outputs`; :mod:`coverage.pipeline` runs them and :mod:`coverage.cli` is the ``svcov`` command.
"""

__version__ = "0.1.0"
