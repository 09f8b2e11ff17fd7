"""A test plugin with one mutual scope that is not about the wall, like matcher.reveal.

Registered as ``lists`` (``extra_plugins={"lists": lists_reveal}``), so its scope
is ``lists.reveal``: what it switches must reach the phones and never the wall.
"""

from hearthside.consent import Scope
from hearthside.hookspecs import hookimpl


@hookimpl
def hearthside_consent_scopes(hs):
    return [Scope("lists.reveal", "Compare our private lists")]
