"""The crawler: Scrapy over 预决算公开 portals, storing each disclosure and its extraction.

Roles as in Scrapy's project template: ``spiders/portal.py`` (the spider), ``items.py``,
``pipelines.py`` (store and extraction), ``middlewares.py`` (SSRF guard, conditional
requests), ``extensions.py`` (progress), ``settings.py`` (polite defaults).
"""
