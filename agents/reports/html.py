"""The frame every HTML report shares: page head and table styles, so reviews and assessments
look alike and print alike. A report's template extends `report_page` with its own body."""

from __future__ import annotations

import jinja2

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: sans-serif; font-size: 10pt; margin: 1.5em; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #888; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #eee; }
{% block style %}{% endblock %}
</style></head><body>
<h1>{{ title }}</h1>
{% block body %}{% endblock %}
</body></html>"""

_ENVIRONMENT = jinja2.Environment(loader=jinja2.DictLoader({"page.html": _PAGE}),
                                  autoescape=True, trim_blocks=True, lstrip_blocks=True)


def report_template(body: str, style: str = "") -> jinja2.Template:
    """A template whose page frame is shared; `body` is the report's own Jinja markup."""
    return _ENVIRONMENT.from_string('{% extends "page.html" %}{% block style %}' + style
                                    + '{% endblock %}{% block body %}' + body
                                    + '{% endblock %}')
