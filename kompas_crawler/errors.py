"""Errors that carry a message meant for the user, not a traceback."""


class KompasError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits with ``exit_code``."""

    exit_code = 2


class ConfigError(KompasError):
    """A setting (database URL, mirror, spider argument) is unusable."""
