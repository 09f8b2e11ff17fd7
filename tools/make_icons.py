"""Draw the app's PNG icons from its SVGs, in Chromium: ``python tools/make_icons.py``.

The PNGs are committed (a few KB each) so an install needs no image library:
phones and desktops want PNG for the home screen and the install prompt, and
``tests/test_app_shell.py`` checks that each file has the size the manifest
says. Run this again after changing ``web/static/icon.svg`` or
``web/static/icons/maskable.svg``.
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
# (source SVG, output PNG, size): "any" icons keep their rounded corners; the
# maskable one and Apple's fill the square, because the platform cuts the shape.
ICONS = [
    ("icon.svg", "icons/icon-192.png", 192),
    ("icon.svg", "icons/icon-512.png", 512),
    ("icon.svg", "icons/favicon-32.png", 32),
    ("icons/maskable.svg", "icons/maskable-512.png", 512),
    ("icons/maskable.svg", "icons/apple-touch-icon.png", 180),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for source, target, size in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (STATIC / source).read_text().replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
            page.set_content(f'<body style="margin:0;background:transparent">{svg}</body>')
            page.screenshot(path=str(STATIC / target), omit_background=True,
                            clip={"x": 0, "y": 0, "width": size, "height": size})
            page.close()
            print(target, (STATIC / target).stat().st_size, "bytes")
        browser.close()


if __name__ == "__main__":
    main()
