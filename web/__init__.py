"""The web side: the core's REST API, pages, templates and static files."""
