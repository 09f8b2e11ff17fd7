"""The web shell: who sees which page, what never appears on one, and local assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Blueprint

from hearthside.events import emit
from hearthside.hookspecs import hookimpl
from tests.conftest import PASSWORD, onboard_couple
from hearthside.testing import mentions, privacy_cast
from tests.test_accounts import onboard_first
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES

WEB = Path(__file__).resolve().parent.parent / "web"
MEMBER_PAGES = ["/", "/invite", "/consent", "/devices", "/account"]
PUBLIC_PAGES = ["/signin", "/dashboard", "/dashboard/pair?code=ABCD2345"]
PRIVATE_PREFIXES = ("/consent", "/devices", "/account", "/admin", "/invite", "/signin", "/welcome", "/join", "/qr")
# The only URLs allowed in templates and our own static files: XML namespaces, never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml",
              "http://www.w3.org/XML/1998/namespace"}
# The vendored Socket.IO client, byte-for-byte upstream: the URLs in it are a link in an
# error message and a scheme used for addresses the page gives it (this server's).
VENDOR_URLS = {"socket.io.min.js": {"https://", "https://socket.io/docs/v3/migrating-from-2-x-to-3-0/"}}
URL = re.compile(r"""https?://[^\s"'()<>`]*""")


@pytest.fixture
def hearthside_plugins():
    """This file's apps also declare the event types its tests emit (tests/support/event_types.py)."""
    return dict(TEST_EVENT_TYPES)


class Links(HTMLParser):
    """Every URL a page refers to, by attribute."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.anchors: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action", "poster", "srcset", "data") and value is not None:
                self.urls.append((tag, name, value))
                if tag == "a" and name == "href":
                    self.anchors.append(value)


def is_local(url: str) -> bool:
    """A path on this server, or a fragment of this page."""
    return url.startswith("#") or (url.startswith("/") and not url.startswith("//"))


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def browser(app, username: str | None = None):
    """A test client with a browser session (the cookie of POST /api/v1/auth/session)."""
    client = app.test_client()
    if username:
        answer = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.json
    return client


@pytest.fixture
def couple_browsers(app, client):
    ann, bob = onboard_couple(client)
    return ann, bob, browser(app, "ann"), browser(app, "bob")


# -- who gets in ---------------------------------------------------------------------------------


def test_a_fresh_server_sends_everyone_to_the_welcome_wizard(client):
    for path in ("/", "/signin", "/consent"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.endswith("/welcome"), path
    page = client.get("/welcome")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for field in ("couple-name", "time-zone", "display-name", "username", "password"):
        assert f'id="{field}"' in html
    assert 'minlength="10"' in html
    assert '<option value="Europe/Berlin"' in html


def test_once_set_up_the_wizard_is_gone(couple_browsers, app):
    assert browser(app).get("/welcome").location.endswith("/")


@pytest.mark.parametrize("path", MEMBER_PAGES + ["/admin", "/qr/join/ABCD2345.svg", "/qr/pair/ABCD2345.svg"])
def test_nobody_is_sent_to_sign_in(couple_browsers, app, path):
    answer = browser(app).get(path)
    assert answer.status_code == 302
    assert "/signin" in answer.location
    if not path.startswith("/qr"):
        assert answer.location.endswith("/signin") or f"next={path}" in answer.location


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_members_see_their_pages(couple_browsers, path):
    _, _, ann_browser, bob_browser = couple_browsers
    for who, client in (("Ann", ann_browser), ("Bob", bob_browser)):
        answer = client.get(path)
        assert answer.status_code == 200, (who, path)
        html = answer.get_data(as_text=True)
        assert 'data-live="session"' in html
        assert "data-pause-start" in html, "the pause is one tap away on every member page"


def test_only_the_admin_opens_the_admin_page(couple_browsers):
    _, _, ann_browser, bob_browser = couple_browsers
    page = ann_browser.get("/admin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "core" in html and "running" in html  # the plugins and their state
    assert "Ann &amp; Bob" in html and "2 members" in html
    assert 'data-endpoint="/api/v1/admin/invites"' in html
    refused = bob_browser.get("/admin")
    assert refused.status_code == 403
    assert "for the server's admin" in refused.get_data(as_text=True)
    assert 'href="/admin"' not in bob_browser.get("/").get_data(as_text=True)
    assert 'href="/admin"' in ann_browser.get("/").get_data(as_text=True)


def test_signed_in_members_skip_sign_in(couple_browsers):
    _, _, ann_browser, _ = couple_browsers
    assert ann_browser.get("/signin").location.endswith("/")
    assert ann_browser.get("/signin?next=/consent").location.endswith("/consent")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_sends_anyone_to_another_site(couple_browsers, app, target):
    _, _, ann_browser, _ = couple_browsers
    html = browser(app).get("/signin", query_string={"next": target}).get_data(as_text=True)
    assert 'data-next="/"' in html
    assert ann_browser.get("/signin", query_string={"next": target}).location.endswith("/")


def test_sign_out_ends_the_page_session(couple_browsers):
    _, _, ann_browser, _ = couple_browsers
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', ann_browser.get("/").get_data(as_text=True)).group(1)
    assert ann_browser.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert "/signin" in ann_browser.get("/consent").location


def test_pages_carry_the_sessions_csrf_token(couple_browsers):
    _, _, ann_browser, _ = couple_browsers
    html = ann_browser.get("/consent").get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    assert ann_browser.get("/api/v1/auth/csrf").json["csrf_token"] == csrf


# -- the partner's invite and the join page -----------------------------------------------------------


def test_the_join_page_for_a_valid_an_unknown_and_a_used_code(app, client):
    ann = onboard_first(client)
    code = ann.post("/api/v1/invites").json["code"]
    html = browser(app).get(f"/join/{code}").get_data(as_text=True)
    assert "data-join-form" in html and f'data-code="{code}"' in html
    assert not mentions(html, "Ann"), "the join page says nothing about who invited or which couple"
    assert 'id="couple-name"' not in html  # joining the inviter's couple
    assert "can't be used" in browser(app).get("/join/NOPE2345").get_data(as_text=True)
    assert "can't be used" in browser(app).get("/join/bad code!").get_data(as_text=True)
    client.post(f"/api/v1/invites/{code}/accept",
                json={"username": "bob", "password": PASSWORD, "display_name": "Bob"})
    assert "can't be used" in browser(app).get(f"/join/{code}").get_data(as_text=True)


def test_a_new_couple_invite_asks_for_the_couple(app, client):
    ann, _ = onboard_couple(client)
    code = ann.post("/api/v1/admin/invites").json["code"]
    html = browser(app).get(f"/join/{code}").get_data(as_text=True)
    assert 'id="couple-name"' in html and 'id="time-zone"' in html


def test_qr_codes_are_inline_svg_for_members_only(couple_browsers):
    _, _, ann_browser, _ = couple_browsers
    answer = ann_browser.get("/qr/join/ABCD2345.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    svg = answer.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg and "http" not in svg
    assert ann_browser.get("/qr/pair/ABCD2345.svg").status_code == 200
    assert ann_browser.get("/qr/join/bad%20code!.svg").status_code == 404


# -- privacy: nothing of the partner's, nothing for the wall ------------------------------------------


SECRETS = ("BOB-PRIVATE-NOTE", "bobs-secret-token-name")


def _plant_bobs_private_things(app, ann, bob):
    bob.post("/api/v1/tokens", json={"name": SECRETS[1]})
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        couple_id = db["members"].get(bob.id)["couple_id"]
        emit(db, "test.journal_saved", couple_id, {"text": SECRETS[0]}, visibility="private", audience_id=bob.id)


def test_no_page_shows_the_partners_private_data(app, couple_browsers):
    ann, bob, ann_browser, bob_browser = couple_browsers
    _plant_bobs_private_things(app, ann, bob)
    for path in MEMBER_PAGES + ["/admin", "/dashboard"]:
        html = ann_browser.get(path).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in html, f"{path} shows Bob's private {secret!r} to Ann"
        assert "argon2" not in html and "password_hash" not in html and "token_hash" not in html
    # Bob's pages do not embed it either: private lists come from the API, per caller.
    for path in MEMBER_PAGES:
        assert SECRETS[0] not in bob_browser.get(path).get_data(as_text=True)


def test_the_partner_list_holds_public_fields_only(couple_browsers):
    _, _, ann_browser, _ = couple_browsers
    html = ann_browser.get("/").get_data(as_text=True)
    members = re.search(r'<script type="application/json" id="hs-members">(.*?)</script>', html, re.S).group(1)
    import json

    assert [sorted(m) for m in json.loads(members)] == [["display_name", "id", "username"]] * 2


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/pair?code=ABCD2345"])
def test_the_wall_page_links_nowhere_private_and_knows_nobody(app, couple_browsers, path):
    _, _, ann_browser, _ = couple_browsers
    for client in (browser(app), ann_browser):  # even opened in a signed-in browser
        answer = client.get(path)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        parsed = links_of(html)
        assert parsed.anchors == [], f"the wall links to {parsed.anchors}"
        assert not any(url.startswith(PRIVATE_PREFIXES) for _, _, url in parsed.urls)
        assert not mentions(html, "Ann") and not mentions(html, "Bob") and "data-pause-end" not in html
        assert 'class="kiosk"' in html or "kiosk" in html


def test_the_pairing_link_fills_in_only_a_well_formed_code(app):
    html = browser(app).get("/dashboard/pair?code=ABCD2345").get_data(as_text=True)
    assert 'value="ABCD2345"' in html
    html = browser(app).get('/dashboard/pair?code="><script>').get_data(as_text=True)
    assert "<script>" not in html.split("</main>")[0]


# -- assets: this server only --------------------------------------------------------------------


PLUGINS = WEB.parent / "plugins"


def _asset_files():
    """The core's templates and static files, and every built-in plugin's."""
    folders = [WEB / "templates", WEB / "static"]
    folders += sorted(p for p in PLUGINS.glob("*/*") if p.is_dir() and p.name in ("templates", "static"))
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield path


def test_templates_and_static_files_name_no_other_server():
    checked = 0
    for path in _asset_files():
        if path.suffix in (".png", ".ico", ".woff2"):
            continue
        text = path.read_text(encoding="utf-8")
        found = set(URL.findall(text))
        allowed = NAMESPACES | VENDOR_URLS.get(path.name, set()) | ({"https://"} if path.name == "README.md" else set())
        assert found <= allowed, f"{path.relative_to(WEB.parent)} refers to {sorted(found - allowed)}"
        if path.suffix in (".html", ".css", ".js"):
            assert "//cdn" not in text and "fonts.googleapis" not in text
        checked += 1
    assert checked >= 10


def test_the_vendored_socket_io_client_is_pinned_with_its_licence():
    vendor = WEB / "static" / "vendor"
    script = (vendor / "socket.io.min.js").read_text(encoding="utf-8")
    assert re.match(r"/\*!\n \* Socket\.IO v4\.8\.\d+\n", script)
    assert "MIT License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    version = re.search(r"Socket\.IO v(4\.8\.\d+)", script).group(1)
    assert version in (vendor / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ["/welcome", "/signin", "/dashboard"])
def test_public_pages_use_local_assets_only(client, path):
    if path != "/welcome":
        onboard_couple(client)
    answer = client.get(path)
    assert answer.status_code == 200
    for tag, attribute, url in links_of(answer.get_data(as_text=True)).urls:
        assert is_local(url), f"{tag} {attribute}={url}"
        if tag in ("script", "link"):
            assert client.get(url).status_code == 200, url
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", MEMBER_PAGES + ["/admin"])
def test_member_pages_use_local_assets_only(couple_browsers, path):
    _, _, ann_browser, _ = couple_browsers
    answer = ann_browser.get(path)
    for tag, attribute, url in links_of(answer.get_data(as_text=True)).urls:
        assert is_local(url), f"{path}: {tag} {attribute}={url}"
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "<script>" not in answer.get_data(as_text=True), "no inline scripts (the CSP forbids them)"


# -- the menu comes from plugins ---------------------------------------------------------------------


class NavPlugin:
    @hookimpl
    def hearthside_blueprints(self, hs):
        bp = Blueprint("rituals_test", __name__)

        @bp.get("/rituals-test")
        def index():
            return "rituals"

        return [bp]

    @hookimpl
    def hearthside_nav_items(self, hs, member):
        return [{"label": "Test rituals", "endpoint": "rituals_test.index", "order": 20},
                {"label": "Broken", "endpoint": "rituals_test.nowhere", "order": 21},
                {"label": f"Only for {member['display_name']}", "endpoint": "rituals_test.index", "order": 22}]


def test_plugins_add_menu_entries_and_a_broken_one_is_skipped(make_app):
    app = make_app(extra_plugins={"navtest": NavPlugin()})
    onboard_couple(app.test_client())
    html = browser(app, "bob").get("/").get_data(as_text=True)
    nav = re.search(r'<nav class="nav".*?</nav>', html, re.S).group(0)
    labels = [label for label in re.findall(r">([^<>]+)</a>", nav)
              if label in ("Home", "Test rituals", "Only for Bob", "Consent", "Devices", "Account", "Admin")]
    assert labels == ["Home", "Test rituals", "Only for Bob", "Consent", "Devices", "Account"]  # by order
    assert "Broken" not in html
    assert app.extensions["hearthside"].plugins.plugins["navtest"].state == "loaded"
    assert 'href="/rituals-test"' in html  # and on the home page's shortcuts


# -- the page matrix: every core page, as everyone who must not get in ------------------------------

ANNIKA_PRIVATE = "PAGE-MARKER-only-annika-may-read-this"


def core_page_routes(app) -> list[str]:
    """Every page route of the core (not the API, not static files), from Flask's URL map."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("pages.") and "GET" in rule.methods)


def test_every_core_page_as_the_partner_the_wall_another_couple_and_nobody(app, client):
    """A page added tomorrow is walked too. Nobody and the wall (a device token) get no member
    page; another couple's member and the partner never see Annika's couple or her private things."""
    ann, bob, cat, _dan, wall = privacy_cast(client)
    ann.post("/api/v1/tokens", json={"name": ANNIKA_PRIVATE})
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        couple_a = db["members"].get(ann.id)["couple_id"]
        emit(db, "test.journal_saved", couple_a, {"text": ANNIKA_PRIVATE}, visibility="private", audience_id=ann.id)
    callers = {"nobody": (browser(app), {}), "wall": (browser(app), wall.headers),
               "other": (browser(app, "cat"), {}), "partner": (browser(app, "bartholomew"), {})}
    couple_a_words = ("Zephyr", "annika", "Annika", "bartholomew", "Bartholomew")
    problems = []
    routes = core_page_routes(app)
    assert {"/", "/consent", "/devices", "/account", "/admin", "/dashboard"} <= set(routes)
    for rule in routes:
        path = re.sub(r"<[^>]+>", "ABCD2345", rule)
        answers = {role: who.get(path, headers=headers) for role, (who, headers) in callers.items()}
        for role, answer in answers.items():
            html, where = answer.get_data(as_text=True), f"{role:8} {path} -> {answer.status_code}"
            if answer.status_code >= 500:
                problems.append(f"{where}: server error")
            if ANNIKA_PRIVATE in html or ann.token in html or wall.token in html:
                problems.append(f"{where}: shows Annika's private data or a token")
            if role in ("nobody", "wall", "other") and any(word in html for word in couple_a_words):
                problems.append(f"{where}: names couple A")
        # A device token opens no page that nobody could open: the wall's page is public.
        if (answers["wall"].status_code, answers["wall"].location) != \
                (answers["nobody"].status_code, answers["nobody"].location):
            problems.append(f"wall     {path}: a device token got more than nobody")
    assert not problems, "\n" + "\n".join(problems)
