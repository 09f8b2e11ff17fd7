"""The phone pages a member reads: upcoming list, week and month views, the editor
and "my settings" - rendered for a signed-in member from the same data as the API."""

from __future__ import annotations

import re

from hearthside.testing import sign_in_browser
from rituals_testing import create, occ


def page(browser, path: str) -> str:
    answer = browser.get(path)
    assert answer.status_code == 200, path
    assert "Content-Security-Policy" in answer.headers
    return answer.get_data(as_text=True)


def occurrence_rows(html: str, title: str) -> list[str]:
    """The occurrence keys of every row titled ``title`` on a page."""
    rows = re.findall(r'data-occurrence="\d+/([^"]+)">.*?rit-occ__title">([^<]*)<', html, re.S)
    return [key for key, shown in rows if shown == title]


def month_days(html: str, title: str) -> list[str]:
    """The days (as the month grid labels them) whose cell lists ``title``."""
    cells = html.split("<td")[1:]
    return [re.search(r'aria-label="(\w+ \d+ \w+)', cell).group(1) for cell in cells
            if f">{title}</span>" in cell]


def test_week_and_month_show_each_occurrence_on_its_day(shared):
    ann = shared.ann
    ritual = create(ann, template="custom", title="Pages walk", start="2024-03-05T17:00",
                    rrule="FREQ=WEEKLY;BYDAY=TU")
    browser = sign_in_browser(shared.app, ann)
    week = page(browser, "/rituals/week?date=2024-03-07")
    assert "Week of 4 March" in week
    assert occurrence_rows(week, "Pages walk") == ["2024-03-05T17:00"]
    month = page(browser, "/rituals/month?month=2024-03")
    assert month_days(month, "Pages walk") == [f"Tuesday {day} March" for day in (5, 12, 19, 26)]
    # A moved occurrence shows on its new day, in both views; the series is untouched.
    moved = ann.put(occ(ritual["id"], "2024-03-12T17:00", "/move"), json={"start": "2024-03-14T18:30"})
    assert moved.status_code == 200, moved.json
    week = page(browser, "/rituals/week?date=2024-03-12")
    assert occurrence_rows(week, "Pages walk") == ["2024-03-12T17:00"]
    thursday = next(day for day in week.split('class="rit-week__day')[1:] if ">Thursday <" in day)
    assert "Pages walk" in thursday and "18:30" in thursday and "Moved" in thursday


def test_a_skipped_occurrence_is_let_go_never_missed(shared):
    ann = shared.ann
    ritual = create(ann, template="custom", title="Pages tea", start="2024-04-02T08:00",
                    rrule="FREQ=WEEKLY;BYDAY=TU")
    assert ann.put(occ(ritual["id"], "2024-04-02T08:00", "/status"), json={"status": "skipped"}).status_code == 200
    html = page(sign_in_browser(shared.app, ann), "/rituals/week?date=2024-04-02")
    assert "Let go" in html
    for word in ("missed", "failed", "broke", "streak"):
        assert word not in html.lower()


def test_the_editor_comes_filled_in_from_a_template_and_from_the_ritual(shared):
    ann = shared.ann
    browser = sign_in_browser(shared.app, ann)
    new = page(browser, "/rituals/new?template=checkin")
    assert "Weekly check-in" in new and 'data-prompts' in new
    ritual = create(ann, template="custom", title="Pages date", start="2024-05-04T19:00", location="The old pier")
    edit = page(browser, f"/rituals/{ritual['id']}/edit")
    assert 'value="Pages date"' in edit and "The old pier" in edit


def test_my_settings_page_shows_my_quiet_hours_and_never_the_partners(shared):
    ann, bob = shared.ann, shared.bob
    quiet = {"quiet_hours": {"start": "22:15", "end": "06:45"}}
    assert ann.put("/api/v1/rituals/settings", json=quiet).status_code == 200
    mine = page(sign_in_browser(shared.app, ann), "/rituals/settings")
    assert "22:15" in mine and "06:45" in mine
    theirs = page(sign_in_browser(shared.app, bob), "/rituals/settings")
    assert "22:15" not in theirs and "06:45" not in theirs
    ann.put("/api/v1/rituals/settings", json={"quiet_hours": None})
