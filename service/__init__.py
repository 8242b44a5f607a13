"""The HTTP service, the web page and the CLI around :mod:`extractors`."""
