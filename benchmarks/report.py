"""Figures, their targets, and the table they are printed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figure:
    """One measured number, what it is compared with, and whether it meets its target.

    ``baseline`` is measured in the same run (the bare stack, or the same
    server's cheapest request), so ``ratio`` survives a noisy machine.
    ``max_ratio`` / ``max_value`` are the targets; with neither, the figure is
    reported for information.
    """

    section: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    max_ratio: float | None = None
    max_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        if self.max_ratio is not None:
            return f"<= {self.max_ratio:g}x {self.baseline_name}"
        if self.max_value is not None:
            return f"<= {_number(self.max_value)} {self.unit}".strip()
        return "-"

    @property
    def holds(self) -> bool | None:
        if self.max_ratio is not None:
            return self.ratio is not None and self.ratio <= self.max_ratio
        if self.max_value is not None:
            return self.value <= self.max_value
        return None


def _number(value: float) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value)}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure]) -> str:
    """A Markdown table of every figure."""
    lines = ["| section | figure | value | baseline | ratio | target | holds |",
             "| --- | --- | ---: | ---: | ---: | --- | :---: |"]
    for f in figures:
        baseline = "-" if f.baseline is None else f"{_number(f.baseline)} {f.unit}".strip() + f" ({f.baseline_name})"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        holds = {True: "yes", False: "**no**", None: "-"}[f.holds]
        name = f"{f.name} ({f.note})" if f.note else f.name
        value = f"{_number(f.value)} {f.unit}".strip()
        lines.append(f"| {f.section} | {name} | {value} | {baseline} | {ratio} | {f.target} | {holds} |")
    return "\n".join(lines)
