"""What the spider hands to the pipeline: one fetched URL."""
from __future__ import annotations

import scrapy


class SourceItem(scrapy.Item):
    url = scrapy.Field()
    kind = scrapy.Field()            # page | document
    status = scrapy.Field()          # done | unchanged | failed
    http_status = scrapy.Field()
    body = scrapy.Field()            # bytes to store and extract (documents, disclosure pages)
    media_type = scrapy.Field()
    etag = scrapy.Field()
    last_modified = scrapy.Field()
    links = scrapy.Field()           # [[url, kind], …] for pages
    error = scrapy.Field()
    failure = scrapy.Field()         # the class of a failed fetch (crawler/outcomes.py)
    filename = scrapy.Field()
