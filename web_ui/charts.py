"""Charts as inline SVG drawn on the server: the geometry is computed here, the markup is
a Jinja2 macro (templates/charts.html), so a page needs no JavaScript chart library."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 520
HEIGHT = 200
LEFT = 34
BOTTOM = 24
TOP = 24

#: One colour per outcome, the same on every chart.
COLOURS = {
    "answered": "#2f9e44",
    "no_answer": "#f08c00",
    "busy": "#e03131",
    "cancelled": "#868e96",
    "failed": "#862e9c",
    "interrupted": "#495057",
    "in progress": "#1c7ed6",
}
BAR = "#1f6feb"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    rects: list[Rect]
    labels: list[Label]
    top: int
    legend: list[tuple[str, str]]
    width: int = WIDTH
    height: int = HEIGHT


def _scale(top: int) -> float:
    return (HEIGHT - BOTTOM - TOP) / max(top, 1)


def stacked(
    title: str, columns: list[tuple[str, dict[str, int]]], *, top: int | None = None
) -> Chart:
    """One column per label, its parts stacked in ``COLOURS`` order; the axis ends at
    ``top``, or at the tallest column."""
    if top is None:
        top = max((sum(parts.values()) for _, parts in columns), default=0)
    step = (WIDTH - LEFT) / max(len(columns), 1)
    scale = _scale(top)
    rects, labels = [], []
    used: set[str] = set()
    for i, (label, parts) in enumerate(columns):
        x = LEFT + i * step
        base: float = HEIGHT - BOTTOM
        for name in sorted(parts, key=lambda n: list(COLOURS).index(n) if n in COLOURS else 99):
            height = parts[name] * scale
            base -= height
            used.add(name)
            rects.append(
                Rect(
                    x + 1,
                    base,
                    step - 2,
                    height,
                    COLOURS.get(name, BAR),
                    f"{label}: {parts[name]} {name}",
                )
            )
        if len(columns) <= 12 or i % 3 == 0:
            labels.append(Label(x + step / 2, HEIGHT - 8, label))
    legend = [(name, colour) for name, colour in COLOURS.items() if name in used]
    return Chart(title, rects, labels, top, legend)


def bars(title: str, items: list[tuple[str, int]]) -> Chart:
    """One bar per item."""
    return stacked(title, [(label, {"": count} if count else {}) for label, count in items])


def percents(title: str, items: list[tuple[str, int | None]], part: str) -> Chart:
    """One bar per item on a 0 to 100 axis; an item without a figure is labelled, not drawn."""
    return stacked(
        title, [(label, {part: value} if value else {}) for label, value in items], top=100
    )
