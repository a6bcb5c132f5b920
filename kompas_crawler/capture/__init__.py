"""Raw pages: every page the crawl parses, kept as fetched in WARC files, and read back.

``records`` holds what a capture is, ``warc`` writes the files, ``middleware`` feeds it from the
crawl, ``reader`` iterates what the files hold. No parsing here: that is ``kompas_crawler.pages``.
"""
