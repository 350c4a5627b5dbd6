"""The report's content model (sections of paragraphs, tables, figures) and its two renderings.

``render_markdown`` writes GitHub Markdown that links each figure as ``<name>.png`` beside it;
``render_html`` writes one self-contained page: inline CSS, figures embedded as base64
``data:`` URIs, nothing fetched from a network. All text is HTML-escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import re
from typing import Sequence

import numpy as np


# ---------------------------------------------------------------------------------------
# The report's content: sections of paragraphs, tables and figures
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""


@dataclasses.dataclass
class Figure:
    name: str                       # file stem of the PNG
    png: bytes
    caption: str


@dataclasses.dataclass
class Section:
    title: str
    items: list = dataclasses.field(default_factory=list)   # str (a paragraph), Table, Figure


def format_number(x, digits: int = 4) -> str:
    """A number for a table: significant digits, '–' for None, '∞' for infinity."""
    if x is None:
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def rendered_figure(name: str, fig, caption: str) -> Figure:
    """A matplotlib figure rendered to PNG bytes (Agg, no pyplot state is touched)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return Figure(name=name, png=buf.getvalue(), caption=caption)


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------

def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def anchors(sections: Sequence[Section]) -> list[str]:
    """One anchor per section, from its title: lower case, words joined by "-", unique."""
    seen, out = set(), []
    for section in sections:
        base = re.sub(r"[^0-9a-z]+", "-", section.title.lower()).strip("-") or "section"
        slug, n = base, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        out.append(slug)
    return out


def render_markdown(title: str, intro: str, sections: Sequence[Section]) -> str:
    """Markdown with a table of contents; each heading carries an explicit ``<a id>``
    anchor, which every renderer honours (GitHub's own heading slugs drop characters)."""
    out = [f"# {title}", "", intro, "", "**Contents**", ""]
    slugs = anchors(sections)
    out += [f"{i}. [{_md_cell(s.title)}](#{slug})"
            for i, (s, slug) in enumerate(zip(sections, slugs), start=1)] + [""]
    for section, slug in zip(sections, slugs):
        out += [f'<a id="{slug}"></a>', "", f"## {section.title}", ""]
        for item in section.items:
            if isinstance(item, str):
                out += [item, ""]
            elif isinstance(item, Table):
                if item.caption:
                    out += [f"*{item.caption}*", ""]
                out.append("| " + " | ".join(_md_cell(h) for h in item.headers) + " |")
                out.append("|" + "|".join("---" for _ in item.headers) + "|")
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in item.rows]
                out.append("")
            elif isinstance(item, Figure):
                out += [f"![{_md_cell(item.caption)}]({item.name}.png)", "",
                        f"*Figure: {item.caption}*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 70rem;
       margin: 2rem auto; padding: 0 1.5rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.9rem; border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
th { background: #f3f3f6; }
td.t, th.t { text-align: left; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3rem; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-style: italic; color: #444; }
p.meta { color: #666; font-size: .9rem; }
nav.toc { background: #f7f7f9; border: 1px solid #e3e3e8; padding: .4rem 1.2rem; }
nav.toc ol { margin: .3rem 0; }
h2 a.self { color: #bbb; text-decoration: none; margin-left: .4rem; font-size: .9em; }
"""


_NUMBER = re.compile(r"^\s*[+\-−]?(\d|\.\d|∞|inf|nan|n/a$|–$)")


def _numeric(cell) -> bool:
    """Whether a table cell reads as a number (right-aligned) rather than text (left)."""
    return isinstance(cell, (int, float, np.number)) or bool(_NUMBER.match(str(cell)))


def _text_class(is_text: bool) -> str:
    return ' class="t"' if is_text else ""


_BRACED = re.compile(r"_\{([^{}<>]+)\}")


def _html_text(text) -> str:
    """Escaped text with the LaTeX-like subscripts of the sources (``θ_{N+1}``) as
    ``θ<sub>N+1</sub>``, so that no brace notation shows in a browser."""
    return _BRACED.sub(r"<sub>\1</sub>", html.escape(str(text)))


def _attribute(text) -> str:
    return html.escape(_BRACED.sub(r"_(\1)", str(text)))


def render_html(title: str, intro: str, sections: Sequence[Section]) -> str:
    e = _html_text
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(title)}</h1>", f'<p class="meta">{e(intro)}</p>']
    slugs = anchors(sections)
    out.append('<nav class="toc"><strong>Contents</strong><ol>' + "".join(
        f'<li><a href="#{slug}">{e(s.title)}</a></li>' for s, slug in zip(sections, slugs))
        + "</ol></nav>")
    for section, slug in zip(sections, slugs):
        out.append(f'<h2 id="{slug}">{e(section.title)}'
                   f'<a class="self" href="#{slug}" aria-label="link to this section">#</a></h2>')
        for item in section.items:
            if isinstance(item, str):
                out.append(f"<p>{e(item)}</p>")
            elif isinstance(item, Table):
                out.append("<table>")
                if item.caption:
                    out.append(f"<caption>{e(item.caption)}</caption>")
                text_columns = {i for i, c in enumerate(item.rows[0]) if not _numeric(c)} \
                    if item.rows else set()
                out.append("<tr>" + "".join(
                    f"<th{_text_class(i in text_columns)}>{e(str(h))}</th>"
                    for i, h in enumerate(item.headers)) + "</tr>")
                for row in item.rows:
                    out.append("<tr>" + "".join(
                        f"<td{_text_class(not _numeric(c))}>{e(str(c))}</td>" for c in row)
                        + "</tr>")
                out.append("</table>")
            elif isinstance(item, Figure):
                data = base64.b64encode(item.png).decode("ascii")
                out.append(f'<figure><img alt="{_attribute(item.caption)}" '
                           f'src="data:image/png;base64,{data}">'
                           f"<figcaption>Figure: {e(item.caption)}</figcaption></figure>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
