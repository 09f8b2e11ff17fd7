"""What only the rituals' tests need, besides the kit's fixtures (hearthside.testing).

Most of their modules share one couple on one app (the kit's ``shared_app``):
each test creates its own rituals and looks only at those (``mine``).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hearthside.testing import onboard_couple


@pytest.fixture(scope="module")
def shared(shared_app):
    """The module's app with its one couple: ``shared.app``, ``shared.client``, ``shared.ann``, ``shared.bob``."""
    client = shared_app.test_client()
    ann, bob = onboard_couple(client)
    return SimpleNamespace(app=shared_app, client=client, ann=ann, bob=bob)


@pytest.fixture
def shared_couple(shared):
    """``ann, bob`` of :func:`shared`."""
    return shared.ann, shared.bob
