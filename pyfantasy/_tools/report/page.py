"""The self-contained HTML page (``render_html``): inline CSS, the charts, the table, the
errors and the notes; no script, no external resource."""
from __future__ import annotations

import os
from html import escape
from typing import Optional

from pyfantasy._tools.report.charts import charts, error_anchor
from pyfantasy._tools.report.summary import NONE_LABEL, Summary
from pyfantasy._tools.report.table import CELL_CLASS, fmt_secs, table_rows

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:16px 24px;color:#333;
background:#fff}
h1{font-size:20px;margin:0 0 4px}
p.meta{margin:0 0 12px;color:#555;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:12px 24px}
figure.chart{margin:0}
table{border-collapse:collapse;font-size:12px;margin-top:16px}
th,td{padding:3px 6px;border-bottom:1px solid #e4e4e4;white-space:nowrap}
td.fr{white-space:normal;min-width:120px;max-width:220px}
div.table{overflow-x:auto}
span.nw{white-space:nowrap}
th{text-align:left;background:#f4f4f4;white-space:normal;vertical-align:bottom}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.sub td{font-style:italic;background:#fafafa}
tr.total td{font-weight:600;border-top:2px solid #999}
p.none{color:#777;font-size:13px;width:540px}
h2{font-size:16px;margin:20px 0 4px}
td.msg{white-space:normal;min-width:240px;max-width:640px}
tr:target td{background:#fff3c4}
ol.notes{font-size:13px;color:#444;max-width:900px}
"""


def _html_errors(summary: Summary, limit: int = 1000) -> str:
    if not summary.errors:
        return ""
    shown = summary.errors[:limit]
    out = [f'<h2 id="errors">Errors ({len(summary.errors):,})</h2>',
           '<div class="table"><table class="errors"><thead><tr><th class="txt">file</th>'
           '<th class="num">interaction</th><th class="txt">provider / model</th><th class="txt">kind</th>'
           '<th class="num">offset</th><th class="txt">message</th></tr></thead><tbody>']
    for i, e in enumerate(shown):
        model = f"{e['provider'] or NONE_LABEL} / {e['model'] or NONE_LABEL}"
        out.append(f'<tr id="{error_anchor(i)}"><td class="txt">{escape(e["file"] or "")}</td>'
                   f'<td class="num">{"" if e["interaction"] is None else e["interaction"]}</td>'
                   f'<td class="txt">{escape(model)}</td><td class="txt">{escape(e["kind"] or "")}</td>'
                   f'<td class="num">{"" if e.get("offset") is None else e["offset"]}</td>'
                   f'<td class="msg">{escape(e["message"] or "")}</td></tr>')
    out.append("</tbody></table></div>")
    if len(summary.errors) > limit:
        out.append(f'<p class="meta">... and {len(summary.errors) - limit:,} more errors '
                   "(<code>pyfantasy report --to json</code> lists them all).</p>")
    return "".join(out)


def _html_notes(summary: Summary) -> str:
    if not summary.notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in summary.notes)
    return f'<h2>Notes</h2><ol class="notes">{items}</ol>'


def _cell_html(i: int, text: str) -> str:
    if i == 16:  # finish reasons: break between reasons, never inside one ("tool-calls 3")
        return ", ".join(f'<span class="nw">{escape(p)}</span>' for p in text.split(", "))
    return escape(text)


def _html_table(summary: Summary) -> str:
    rows = table_rows(summary)
    head = "".join(f'<th class="{CELL_CLASS.get(i, "num")}">{escape(h)}</th>' for i, h in enumerate(rows[0]))
    out = ['<div class="table"><table><thead><tr>' + head + "</tr></thead><tbody>"]
    for r in rows[1:]:
        cls = ' class="total"' if r[0] == "TOTAL" else (' class="sub"' if r[1] == "(all models)" else "")
        out.append(f"<tr{cls}>" + "".join(
            f'<td class="{CELL_CLASS.get(i, "num")}">{_cell_html(i, c)}</td>'
            for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_html(summary: Summary, title: Optional[str] = None) -> str:
    """A self-contained page: inline CSS, inline SVG charts, the summary table, the errors
    (each chart row with errors links to them) and the notes; no script, no external link."""
    from pyfantasy import __version__
    title = title or f"pyfantasy report: {os.path.basename(summary.source) or 'results'}"
    t = summary.total
    meta = (f"{summary.rows:,} interactions from {escape(summary.source)}; {len(summary.providers)} providers, "
            f"{len(summary.models)} models; error rate {100 * t.error_rate:.1f}%; "
            f"duration p50 {fmt_secs(t.p50)} s, p90 {fmt_secs(t.p90)} s, p99 {fmt_secs(t.p99)} s")
    body = [f"<h1>{escape(title)}</h1>", f'<p class="meta">{meta}</p>']
    if summary.rows:
        body.append('<div class="charts">' + "".join(charts(summary)) + "</div>")
    else:
        body.append('<p class="none">No interactions in these results.</p>')
    body.append(_html_table(summary))
    body.append(_html_errors(summary))
    body.append(_html_notes(summary))
    body.append(f'<p class="meta">Generated by pyfantasy {escape(__version__)} report.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
