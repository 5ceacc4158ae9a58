"""The dashboard's charts as inline SVG, drawn on the server: no chart library, readable
without JavaScript, printable. Every text is escaped."""
from markupsafe import Markup, escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
ROW, LABEL_W, WIDTH = 22, 150, 1000


def _label(spec: dict, lang: str) -> str:
    return str(spec.get(lang) or spec.get("en") or spec.get("id"))


def _legend(items, y) -> str:
    parts, x = [], LABEL_W
    for colour, text in items:
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="{y + 11}" class="legend">{escape(text)}</text>')
        x += 24 + 13 * len(text) if any(ord(c) > 255 for c in text) else 24 + 7 * len(text)
    return "".join(parts)


def org_name(code, fallback):
    from ..words import org_name as named
    return named(code, fallback)


def stage_timeline(board, lang: str, tz) -> Markup:
    """One line per province: a coloured bar for each stage, from the day it was reached."""
    stages = [s["id"] for s in board.definition.stages]
    colours = {stage: PALETTE[i % len(PALETTE)] for i, stage in enumerate(stages)}
    moments = [at for row in board.rows for _s, at in row.stages_reached]
    if not moments:
        return Markup("")
    running = [board.now] if board.now and any(r.ended_at is None for r in board.rows) else []
    start, end = min(moments), max(moments + running + [r.ended_at for r in board.rows if r.ended_at])
    span = max((end - start).total_seconds(), 86400.0) * 1.08
    plot = WIDTH - LABEL_W - 10

    def x(at):
        return LABEL_W + plot * (at - start).total_seconds() / span

    height = ROW * len(board.rows) + 60
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart stage-timeline" role="img" '
             f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="stages">')]
    for i, row in enumerate(board.rows):
        y = 10 + i * ROW
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(org_name(row.organisation, row.organisation_name))}</text>')
        reached = row.stages_reached
        for j, (stage, at) in enumerate(reached):
            until = reached[j + 1][1] if j + 1 < len(reached) else (row.ended_at or end)
            width = max(x(until) - x(at), 3)
            parts.append(f'<rect x="{x(at):.1f}" y="{y + 2}" width="{width:.1f}" height="{ROW - 6}" '
                         f'fill="{colours.get(stage, "#999")}" data-stage="{escape(stage)}">'
                         f'<title>{escape(row.organisation_name)}: {escape(stage)} '
                         f'{at.astimezone(tz):%Y-%m-%d}</title></rect>')
    axis_y = 10 + len(board.rows) * ROW + 4
    parts.append(f'<text x="{LABEL_W}" y="{axis_y + 10}" class="axis">{start.astimezone(tz):%Y-%m-%d}</text>'
                 f'<text x="{WIDTH - 10}" y="{axis_y + 10}" class="axis" text-anchor="end">'
                 f'{end.astimezone(tz):%Y-%m-%d}</text>')
    parts.append(_legend([(colours[s["id"]], _label(s, lang)) for s in board.definition.stages], axis_y + 22))
    parts.append("</svg>")
    return Markup("".join(parts))


def activities_by_province(board, lang: str) -> Markup:
    """Stacked bars: each province's activities, by the first grouping fact (the form)."""
    if not board.definition.activity_groups or not any(r.activities for r in board.rows):
        return Markup("")
    fact = board.definition.activity_groups[0]
    values = board.group_values(fact)
    colours = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(values)}
    most = max(r.activities for r in board.rows) or 1
    plot = WIDTH - LABEL_W - 50
    height = ROW * len(board.rows) + 50
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart activities" role="img" '
             f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="activities">')]
    for i, row in enumerate(board.rows):
        y, x = 10 + i * ROW, float(LABEL_W)
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(org_name(row.organisation, row.organisation_name))}</text>')
        for value in values:
            n = row.activity_groups.get(fact, {}).get(value, 0)
            if n:
                width = plot * n / most
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{ROW - 6}" '
                             f'fill="{colours[value]}"><title>{escape(row.organisation_name)}: '
                             f'{escape(board.definition.label(value, lang))} {n}</title></rect>')
                x += width
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" class="total">{row.activities}</text>')
    parts.append(_legend([(colours[v], board.definition.label(v, lang)) for v in values],
                         10 + len(board.rows) * ROW + 10))
    parts.append("</svg>")
    return Markup("".join(parts))
