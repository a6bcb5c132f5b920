"""kompas-crawler: archive and query the Global section of Kompas.com."""

from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    """This kompas-crawler's version ("unknown" run from a source tree never installed)."""
    try:
        return version("kompas-crawler")
    except PackageNotFoundError:
        return "unknown"
