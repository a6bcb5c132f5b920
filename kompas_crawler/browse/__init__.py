"""Browsing the archive in Datasette: the project's metadata, canned queries, dashboard and plugin."""
