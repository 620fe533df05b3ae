"""svcov: 15-minute neighbourhood service coverage, layout rules and site selection for Chinese districts.

The import name, the distribution and the command are all ``svcov``; the source root of the project is the
top-level folder ``coverage/`` (src layout, no ``__init__.py`` there), so the import name ``coverage`` stays
coverage.py's.
The pipeline's stages are subpackages: :mod:`svcov.data` (boundaries, facilities, population, validation,
coordinate systems),
:mod:`svcov.network`, :mod:`svcov.access`, :mod:`svcov.rules`, :mod:`svcov.siting` and
:mod:`svcov.outputs`; :mod:`svcov.pipeline` runs them, :mod:`svcov.api` is the Python entry
(:func:`svcov.open_run`) and :mod:`svcov.cli` is the ``svcov`` command.
"""

__version__ = "0.1.0"

__all__ = ["open_run", "__version__"]


def __getattr__(name: str):
    """``svcov.open_run`` (the Python API, :mod:`svcov.api`), imported when first used so that ``import svcov``
    stays light."""
    if name == "open_run":
        from .api import open_run

        return open_run
    raise AttributeError(f"module 'svcov' has no attribute {name!r}")
