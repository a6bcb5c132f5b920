"""What a crawl accepts, checked before any request: spider arguments and settings.

Both crawl entry points (``kompas-crawler crawl`` and the project's ``scrapy crawl``) run these
through ``kompas_crawler.running.preflight``; a ConfigError names the argument or setting as the
user gave it (``-a``, ``-s`` or the environment) and ends the run with exit status 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings, default_settings

from kompas_crawler import settings as project
from kompas_crawler.errors import ConfigError

COMMAND_LINE = 40  # Scrapy's priority of -s settings ("cmdline")
_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}


def where(name: str, settings: BaseSettings) -> str:
    """How the user gave a setting, for messages: ``-s NAME``, ``$NAME`` (the environment) or
    plain ``NAME`` (the default)."""
    if settings.getpriority(name) == COMMAND_LINE:
        return f"-s {name}"
    if name in os.environ:
        return f"${name}"
    return name


def _default(name: str) -> Any:
    if name in project.kompas_defaults:
        return project.kompas_defaults[name]
    return getattr(project, name, getattr(default_settings, name, None))


def _check_value(name: str, value: Any, settings: BaseSettings) -> None:
    default = _default(name)
    if not isinstance(value, str) or default is None or isinstance(default, str):
        if name == "LOG_LEVEL" and str(value).upper() not in _LOG_LEVELS:
            levels = ", ".join(sorted(_LOG_LEVELS))
            raise ConfigError(f"{where(name, settings)}={value!r} is not a log level ({levels})")
        return
    try:
        if isinstance(default, bool):
            settings.getbool(name)
        elif isinstance(default, int | float):
            settings.getfloat(name)
        elif isinstance(default, dict):
            settings.getdict(name)
    except ValueError:
        kind = {bool: "true or false", int: "a number", float: "a number", dict: "a JSON object"}
        expected = next(text for cls, text in kind.items() if isinstance(default, cls))
        raise ConfigError(
            f"{where(name, settings)}={value!r} is not valid: expected {expected}, "
            f"like the default {default!r}"
        ) from None


def check_settings(settings: BaseSettings) -> None:
    """Refuse unknown KOMPAS_* names given with -s, and values of the wrong kind (given with -s
    or in the environment)."""
    known = sorted(project.kompas_defaults)
    for name in settings:
        given = settings.getpriority(name) == COMMAND_LINE
        if given and name.startswith("KOMPAS_") and name not in project.kompas_defaults:
            raise ConfigError(f"unknown setting -s {name}; the known ones: {', '.join(known)}")
        if given or (name in project.kompas_defaults and name in os.environ):
            _check_value(name, settings[name], settings)


def check_spider_arguments(arguments: Mapping[str, str]) -> None:
    """The spider's own checks (names, dates, bounds), run before the crawl starts."""
    from kompas_crawler.spiders.kompas_global import KompasGlobalSpider

    KompasGlobalSpider(**arguments)


def check_database(settings: BaseSettings) -> None:
    """The archive can be opened for writing (made if missing); the lock is checked apart."""
    from kompas_crawler.storage.database import SETTING, open_archive

    open_archive(settings.get(SETTING) or "", where(SETTING, settings)).dispose()
