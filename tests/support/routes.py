"""A test plugin that only adds routes: the blueprint a test builds, and nothing else."""

from flask import Blueprint

from hearthside.hookspecs import hookimpl


class RoutesPlugin:
    """Adds ``blueprint`` through ``hearthside_blueprints``, as a plugin's own API would.

    ``RoutesPlugin("nospace", "/api/v1/nospace")`` makes the blueprint; the test
    puts its routes on ``.blueprint`` before the app is built.
    """

    def __init__(self, name: str, url_prefix: str):
        self.blueprint = Blueprint(name, __name__, url_prefix=url_prefix)

    @hookimpl
    def hearthside_blueprints(self, hs):
        return [self.blueprint]
