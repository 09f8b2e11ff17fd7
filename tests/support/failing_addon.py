"""A third-party plugin whose start-up hook raises: isolated, and the server says so."""

from hearthside.hookspecs import hookimpl

HEARTHSIDE_API = ">=1.0,<2"


@hookimpl
def hearthside_startup(hs):
    raise RuntimeError("failing deliberately")
