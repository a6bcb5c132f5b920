"""Scrapy commands of this project (``COMMANDS_MODULE``): ``crawl``, with our exit codes."""
