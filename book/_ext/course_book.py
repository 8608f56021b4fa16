"""Sphinx extension of the course's book: each script once per page.

Jupyter Book 1.0 sets up sphinx-thebe and sphinx-togglebutton so that their inline
configuration scripts are added twice (the second ``const THEBE_JS_URL`` is a SyntaxError in
every page's console), and it adds every script of the static folders to every page, so the
vendored MathJax came a second time, without ``defer`` (MathJax loaded twice throws). This
keeps one script of each file and of each inline body.
"""
from __future__ import annotations


def _key(script) -> tuple:
    filename = str(getattr(script, "filename", script) or "")
    if filename:
        return ("file", filename)
    attributes = getattr(script, "attributes", {}) or {}
    return ("inline", str(attributes.get("body", "")), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep the last script of each file (MathJax's own, deferred, after its configuration) and
    the first of each inline body."""
    scripts = context.get("script_files")
    if not scripts:
        return
    last = {_key(s): i for i, s in enumerate(scripts) if _key(s)[0] == "file"}
    seen, kept = set(), []
    for i, script in enumerate(scripts):
        key = _key(script)
        if (key[0] == "file" and last[key] != i) or (key[0] == "inline" and key in seen):
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
