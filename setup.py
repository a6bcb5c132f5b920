"""Only for ``scrapyd-deploy``, which builds the Scrapyd egg with ``setup.py bdist_egg`` (and
would write a setup.py of its own, without the package data, if this one were missing). Every
piece of metadata is in pyproject.toml."""

from setuptools import setup

setup()
