"""Rule 1 of the privacy matrix: a member's answer to a shared occurrence stays sealed until both answered."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Iterable

from .members import Member

if TYPE_CHECKING:
    from .privacy import PrivacyMatrix

# A plugin opts in by naming, in its module, the shared objects both members answer
# (a check-in occurrence, a question asked of both) as plain data - no test code:
#
#     SEALED_ANSWERS = [{
#         "name": "a check-in",
#         "scopes": ["rituals.checkin_reveal"],              # granted by both first: consent must not be the lock
#         "create": ["POST", "/api/v1/rituals", {"template": "checkin", "start": "2024-03-03T19:00"}],
#         "answer": ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin",
#                    {"answers": {"hard": "{text}"}}],
#         "reads": ["/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin/reveal"],
#         "moves": [["PATCH", "/api/v1/rituals/{id}", {"participants": ["{partner}"]}]],
#     }]
#
# ``{...}`` in paths and bodies is filled from the create answer's top-level keys plus
# ``{text}`` (the answer's secret), ``{me}`` (the caller's member id) and ``{partner}``;
# a string that is exactly one placeholder becomes the value itself (an int stays an int).

SEALED_READS = ("/api/v1/events?limit=500", "/api/v1/me/export")  # read by the member, besides the spec's
WALL_READS = ("/api/v1/dashboard", "/api/v1/events?limit=500")


def sealed_answer_specs(modules: Iterable[Any]) -> list[dict]:
    """Every ``SEALED_ANSWERS`` spec the plugins' modules declare."""
    return [spec for module in modules for spec in getattr(module, "SEALED_ANSWERS", ()) or ()]


def _filled(value, names: dict):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        return names[whole.group(1)] if whole else value.format(**names)
    if isinstance(value, list):
        return [_filled(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, names) for key, item in value.items()}
    return value


def _sealed_call(member: Member, step, names: dict):
    method, path, *body = step
    kwargs = {"json": _filled(body[0], names)} if body else {}
    return member.client.open(_filled(path, names), method=method, headers=member.headers, **kwargs)


def _sealed_reads(matrix: "PrivacyMatrix", spec: dict, member: Member, names: dict) -> str:
    paths = [_filled(path, names) for path in (*spec.get("reads", ()), *SEALED_READS)]
    texts = [member.get(path).get_data(as_text=True) for path in paths]
    return "\n".join(texts + [matrix.wall.get(path).get_data(as_text=True) for path in WALL_READS])


def check_sealed_answers(matrix: "PrivacyMatrix", spec: dict) -> list[str]:
    """Rule 1 of docs/security.md for one spec, as problems: Bob answers, Ann does not.

    Ann may do every ``move`` (edit who takes part, mark it done, move it...);
    after each, no read of hers and nothing on the wall may hold Bob's answer.
    Then Ann answers, and the two answers must reach each other (unless the
    spec says ``"revealed": False``), which proves the reads look in the right
    place. The wall never holds either answer.
    """
    ann, bob, name = matrix.ann, matrix.bob, spec.get("name", "sealed answers")
    for scope in spec.get("scopes", ()):
        ann.grant(scope)
        bob.grant(scope)
    created = _sealed_call(ann, spec["create"], {"me": ann.id, "partner": bob.id})
    if not 200 <= created.status_code < 300:
        return [f"{name}: create answered {created.status_code}: {created.get_data(as_text=True)[:200]}"]
    made = created.get_json() if isinstance(created.get_json(), dict) else {}
    secret_a, secret_b = f"{matrix.marker}-ann-answer", f"{matrix.marker}-bob-answer"
    as_ann = {**made, "me": ann.id, "partner": bob.id, "text": secret_a}
    as_bob = {**made, "me": bob.id, "partner": ann.id, "text": secret_b}
    problems = []
    answered = _sealed_call(bob, spec["answer"], as_bob)
    if not 200 <= answered.status_code < 300:
        return [f"{name}: Bob's answer was refused ({answered.status_code}): {answered.get_data(as_text=True)[:200]}"]
    for step in [None, *spec.get("moves", ())]:
        label = "before anything else" if step is None else f"after Ann's {' '.join(map(json.dumps, step))}"
        if step is not None:
            status = _sealed_call(ann, step, as_ann).status_code
            if status >= 500:
                problems.append(f"{name}: {label} -> {status}: server error")
        if secret_b in _sealed_reads(matrix, spec, ann, as_ann):
            problems.append(f"{name}: {label}, Ann (who has not answered) or the wall read Bob's answer")
    answered = _sealed_call(ann, spec["answer"], as_ann)
    if not 200 <= answered.status_code < 300:
        return problems + [f"{name}: after the moves, Ann could not answer ({answered.status_code}): "
                           "end the moves where both take part"]
    seen_by_ann, seen_by_bob = _sealed_reads(matrix, spec, ann, as_ann), _sealed_reads(matrix, spec, bob, as_bob)
    wall = "\n".join(matrix.wall.get(path).get_data(as_text=True) for path in WALL_READS)
    if secret_a in wall or secret_b in wall:
        problems.append(f"{name}: the wall read an answer")
    if spec.get("revealed", True) and not (secret_b in seen_by_ann and secret_a in seen_by_bob):
        problems.append(f"{name}: after both answered, their reads still do not show each other's answer: "
                        "are the spec's 'reads' the routes that reveal?")
    return problems


def run_sealed_answers(matrix: "PrivacyMatrix", specs: Iterable[dict] | None = None) -> list[dict]:
    """Check every spec (default: those the plugins under test declare); fail the test on any problem."""
    specs = list(sealed_answer_specs(matrix.modules) if specs is None else specs)
    problems = [problem for spec in specs for problem in check_sealed_answers(matrix, spec)]
    assert not problems, "privacy matrix, sealed answers:\n" + "\n".join(problems)
    return specs
