# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writes a document, given as a list of blocks, as self-contained HTML or as Markdown.

case_report.py decides what the report says; this file only decides how it
looks, so the HTML and the Markdown can never say different things.

Blocks (tuples): ("title", text), ("banner", level, text) with level "ok",
"attention", "failed" or "planned", ("heading", text, anchor), ("subheading",
text), ("para", text), ("facts", [(label, value), ...]), ("table", name,
columns, rows), ("bullets", [text, ...]), ("svg", markup, text alternative)
(report_pictures.py's inline SVG), ("pagebreak",) (where a print starts a new
page). A value wrapped in Code is shown in a monospace font (ids, hashes, URIs).
Printed (A4 or Letter), short tables, lists and pictures stay whole and long
tables repeat their header on every page.
"""

import html

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; margin: 2em auto; max-width: 78em; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.3em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #444; margin-top: 1.8em; }
h3 { font-size: 1.1em; margin-top: 1.3em; }
.banner { padding: 0.8em 1em; font-weight: bold; color: #fff; border-radius: 4px; }
.banner-ok { background: #1e7d32; }
.banner-attention { background: #e6a100; color: #1b1b1b; }
.banner-failed { background: #b71c1c; }
.banner-planned { background: #5c6bc0; }
svg.picture { display: block; max-width: 62em; margin: 0.4em 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eceff1; }
table.facts th { width: 16em; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; word-break: break-all; }
@media print {
  @page { margin: 12mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table, svg.picture, ul { break-inside: avoid; page-break-inside: avoid; }
  table.long { break-inside: auto; page-break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .page-break { break-after: page; page-break-after: always; }
}
"""
# A table longer than this many rows may break across pages (its header repeats); shorter ones stay whole.
_WHOLE_ROWS = 25


class Code(str):
    """A value to show in a monospace font."""


def _html_value(value):
    text = html.escape(str(value))
    return f"<code>{text}</code>" if isinstance(value, Code) else text


def _html_table(css_class, columns, rows):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_html_value(v)}</td>" for v in row) + "</tr>" for row in rows)
    long = " long" if len(rows) > _WHOLE_ROWS else ""
    return f'<table class="{html.escape(css_class)}{long}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _html_block(block):
    kind = block[0]
    if kind == "title":
        return f"<h1>{html.escape(block[1])}</h1>"
    if kind == "banner":
        return f'<p class="banner banner-{block[1]}" id="status">{html.escape(block[2])}</p>'
    if kind == "heading":
        return f'<h2 id="{html.escape(block[2])}">{html.escape(block[1])}</h2>'
    if kind == "subheading":
        return f"<h3>{html.escape(block[1])}</h3>"
    if kind == "para":
        return f"<p>{_html_value(block[1])}</p>"
    if kind == "facts":
        rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{_html_value(value)}</td></tr>" for label, value in block[1])
        return f'<table class="facts"><tbody>{rows}</tbody></table>'
    if kind == "table":
        return _html_table(block[1], block[2], block[3])
    if kind == "bullets":
        return "<ul>" + "".join(f"<li>{_html_value(item)}</li>" for item in block[1]) + "</ul>"
    if kind == "svg":
        return block[1]
    if kind == "pagebreak":
        return '<div class="page-break"></div>'
    raise ValueError(f"unknown block {kind!r}")


def to_html(title, blocks):
    """A complete HTML document (str): inline style, no script, nothing loaded from elsewhere."""
    body = "\n".join(_html_block(b) for b in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _md_value(value):
    text = str(value).replace("\r", " ").replace("\n", " ")
    if isinstance(value, Code):
        return f"`{text}`" if "`" not in text else f"`` {text} ``"
    return text


def _md_cell(value):
    return _md_value(value).replace("|", "\\|")


def _md_table(columns, rows):
    lines = ["| " + " | ".join(_md_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_block(block):
    kind = block[0]
    if kind == "title":
        return f"# {block[1]}"
    if kind == "banner":
        return f"> **{block[1].upper()}**: {_md_value(block[2])}"
    if kind == "heading":
        return f"## {block[1]}"
    if kind == "subheading":
        return f"### {block[1]}"
    if kind == "para":
        return _md_value(block[1])
    if kind == "facts":
        return _md_table(["", ""], block[1])
    if kind == "table":
        return _md_table(block[2], block[3])
    if kind == "bullets":
        return "\n".join(f"- {_md_value(item)}" for item in block[1])
    if kind == "svg":
        return _md_value(block[2])
    if kind == "pagebreak":
        return "---"
    raise ValueError(f"unknown block {kind!r}")


def to_markdown(blocks):
    """The same document as GitHub-flavoured Markdown (str); a picture is given by its text alternative."""
    return "\n\n".join(_md_block(b) for b in blocks) + "\n"
