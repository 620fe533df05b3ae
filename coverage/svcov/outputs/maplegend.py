"""The legend and the title box of ``map.html``.

Every legend item belongs to one layer of the layer control (``data-layer`` = the layer's name); a layer with
nothing to draw is neither in the control nor in the legend, and :class:`~svcov.outputs.mapelements.LegendSync`
shows an item only while its layer is on the map, so the legend stays as short as what is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from .context import RunInfo
from .document import template_env
from .mapelements import safe_color, shape_svg

__all__ = ["LegendItem", "Legend", "swatch", "hatch_swatch", "ring_swatch", "dot_swatch", "title_html"]


@dataclass(frozen=True)
class LegendItem:
    """One line of the legend: a symbol (trusted SVG/HTML built by svcov), a label, the layer it belongs to."""

    layer: str
    symbol: Markup
    label: str


@dataclass
class Legend:
    """Legend sections in order; ``notes`` print under them."""

    sections: dict[str, list[LegendItem]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, layer: str, symbol: Markup | str, label: str) -> None:
        self.sections.setdefault(section, []).append(LegendItem(layer, Markup(symbol), label))

    @property
    def layers(self) -> set[str]:
        return {item.layer for items in self.sections.values() for item in items}

    def html(self) -> str:
        sections = [{"title": title, "items": items} for title, items in self.sections.items() if items]
        return template_env().get_template("map_legend.html.j2").render(sections=sections, notes=self.notes)


def swatch(color: str, *, opacity: float = 1.0, dashed: bool = False) -> Markup:
    border = "1px dashed #333" if dashed else "1px solid #333"
    return Markup(f'<span class="svcov-swatch" style="background:{safe_color(color)};opacity:{opacity:.2f};'
                  f'border:{border}"></span>')


def hatch_swatch(pattern: str) -> Markup:
    """A swatch filled with one of the page's SVG patterns (``svcov-hatch``, ``svcov-dots``)."""
    return Markup(f'<svg width="16" height="11"><rect x="0.5" y="0.5" width="15" height="10" '
                  f'fill="url(#{pattern})" stroke="#333"/></svg>')


def ring_swatch(color: str) -> Markup:
    """Three nested dashed rings (the 5/10/15-minute areas of a proposed site)."""
    c = safe_color(color)
    return Markup(f'<svg width="18" height="18" viewBox="0 0 18 18"><circle cx="9" cy="9" r="8" fill="none" '
                  f'stroke="{c}" stroke-width="1.4" stroke-dasharray="3,2"/><circle cx="9" cy="9" r="5.2" '
                  f'fill="none" stroke="{c}" stroke-width="1" stroke-dasharray="2,2"/><circle cx="9" cy="9" r="2.4" '
                  f'fill="none" stroke="{c}" stroke-width="1"/></svg>')


def dot_swatch(color: str) -> Markup:
    return Markup(f'<svg width="12" height="12"><circle cx="6" cy="6" r="3" fill="{safe_color(color)}" '
                  f'stroke="#666" stroke-width="0.8"/></svg>')


def star(color: str, size: int = 18) -> Markup:
    return shape_svg("star", color, size)


def title_html(info: RunInfo, years: Sequence[int], year: int, *, lines: Sequence[str],
               details: Sequence[str]) -> str:
    """The title box: title and year, the year switch, short ``lines`` and a folded 「说明」 with ``details``."""
    return template_env().get_template("map_title.html.j2").render(
        title=f"{info.district_name_zh} {info.circle_threshold_min} 分钟社区服务圈", lines=list(lines),
        details=list(details), years=list(years), year=year)
