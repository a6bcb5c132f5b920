"""Browsing the archive in Datasette: metadata, canned queries, dashboard and cell plugin."""
