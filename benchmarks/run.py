"""Every benchmark, one table: ``python -m benchmarks`` (or ``python benchmarks/run.py``).

Sections (``--sections live,memory,database,strangers,held,load,soak``; all by default):

* ``live``     - a partner's pause until every live client has it, vs the bare app;
* ``memory``   - idle RSS, RSS with clients, cold start, and what costs them;
* ``database`` - read/write throughput, events paging over a million rows, locks;
* ``strangers`` - health while unsigned websockets are held open, vs none;
* ``held``     - health while 1,000 signed-in live sockets are held, vs none;
* ``load``     - 50 writers and 100 live clients (and a churning one) for 2 minutes: 5xx, latency;
* ``soak``     - minutes of steady use: errors, RSS growth, file descriptors.

``--quick`` shrinks every section (fewer clients, messages, rows and seconds)
to check the harness, not to publish figures. ``--write-readme`` puts the
table, the machine and the notes into ``benchmarks/README.md``.
Every timing is compared with a baseline measured in the same run; nothing
here is a test assertion.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import database, held_sockets, live_path, load, memory, soak, strangers  # noqa: E402
from benchmarks.report import Figure, table  # noqa: E402
from benchmarks.servers import machine  # noqa: E402

SECTIONS = ("live", "memory", "database", "strangers", "held", "load", "soak")
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="small and fast: checks the harness")
    parser.add_argument("--clients", help="live-path client counts, comma-separated (default 1,20,200)")
    parser.add_argument("--messages", type=int, help="live-path messages per run (default 40)")
    parser.add_argument("--memory-clients", type=int, help="clients for the connected-RSS figure (default 200)")
    parser.add_argument("--events", type=int, help="events in the paging table (default 1000000)")
    parser.add_argument("--strangers", type=int, help="unsigned websockets held open (default 300)")
    parser.add_argument("--held", type=int, help="signed-in live sockets held (default 1000)")
    parser.add_argument("--load-seconds", type=float, help="load run length in seconds (default 120)")
    parser.add_argument("--load-writers", type=int, help="writer threads during the load run (default 50)")
    parser.add_argument("--soak-minutes", type=float, help="soak length in minutes (default 10)")
    parser.add_argument("--soak-clients", type=int, help="live clients during the soak (default 100)")
    parser.add_argument("--write-readme", action="store_true", help="put the results into benchmarks/README.md")
    args = parser.parse_args(argv)
    unknown = set(args.sections.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def pick(value, full, quick, is_quick: bool):
    return value if value is not None else (quick if is_quick else full)


def run_sections(args: argparse.Namespace) -> tuple[list[Figure], list[str], dict]:
    q = args.quick
    figures: list[Figure] = []
    notes: list[str] = []
    settings: dict[str, str] = {}
    sections = args.sections.split(",")
    if "live" in sections:
        counts = pick(args.clients, "1,20,200", "1,20", q)
        messages = pick(args.messages, 40, 8, q)
        settings["live"] = f"clients {counts}, {messages} messages each"
        figures += live_path.run([int(c) for c in counts.split(",")], messages)
    if "memory" in sections:
        clients = pick(args.memory_clients, 200, 20, q)
        settings["memory"] = f"{clients} clients"
        found, details = memory.run(clients, starts=1 if q else 3)
        figures += found
        notes.append(memory.describe(details))
    if "database" in sections:
        events = pick(args.events, database.EVENTS, 20_000, q)
        settings["database"] = f"{events:,} events"
        figures += database.run(concurrency=8, seconds=pick(None, 5, 1, q), pages=pick(None, 300, 30, q),
                                lock_seconds=pick(None, 15, 3, q), events=events)
    if "strangers" in sections:
        count = pick(args.strangers, 300, 30, q)
        settings["strangers"] = f"{count} unsigned websockets"
        figures += strangers.run(count, seconds=pick(None, 12, 3, q))
    if "held" in sections:
        count = pick(args.held, 1000, 50, q)
        settings["held"] = f"{count} signed-in live sockets"
        figures += held_sockets.run(count, seconds=pick(None, 15, 3, q))
    if "load" in sections:
        seconds = pick(args.load_seconds, 120, 10, q)
        writers = pick(args.load_writers, 50, 10, q)
        listeners = 100 if not q else 10
        settings["load"] = f"{seconds:g} s, {writers} writers, {listeners} listeners"
        figures += load.run(seconds, writers, listeners)
    if "soak" in sections:
        minutes = pick(args.soak_minutes, 10, 0.25, q)
        clients = pick(args.soak_clients, 100, 10, q)
        settings["soak"] = f"{minutes:g} min, {clients} clients"
        found, details = soak.run(minutes, clients)
        figures += found
        notes.append(soak.describe(details))
    return figures, notes, settings


def heading(settings: dict[str, str], seconds: float, quick: bool) -> str:
    m = machine()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    ran = "; ".join(f"{k}: {v}" for k, v in settings.items())
    return (f"Run {when}{' (--quick: harness check, not figures to quote)' if quick else ''} on "
            f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM, Python {m['python']} ({m['platform']}); "
            f"{ran}; took {seconds / 60:.1f} min; load average at the end {load} (1/5/15 min).")


def write_readme(text: str) -> None:
    """Replace what lies between the results markers of README.md."""
    current = README.read_text()
    start, end = current.index(BEGIN) + len(BEGIN), current.index(END)
    README.write_text(current[:start] + "\n" + text + "\n" + current[end:])


def main(argv=None) -> int:
    args = parse(argv)
    started = time.monotonic()
    figures, notes, settings = run_sections(args)
    result = "\n\n".join([heading(settings, time.monotonic() - started, args.quick), table(figures),
                          *[f"```\n{note}\n```" for note in notes]])
    print(result)
    if args.write_readme:
        write_readme(result)
    return 0 if all(f.holds is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
