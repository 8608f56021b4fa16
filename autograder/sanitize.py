"""Nothing a student wrote runs in a page the course writes.

Feedback pages (and the autograded notebooks that formgrader renders in the instructor's
Jupyter server) hold student outputs and markdown. :func:`clean_html` passes student HTML
through nh3 (the maintained Rust sanitiser ammonia) with an allow-list: text, tables, lists,
links (http, https, mailto, in-page) and images (data URLs of image types only); no
``<script>``, event attributes, ``javascript:`` URLs, ``<iframe>``, ``<object>``, ``<svg>``,
``<style>`` or ``<meta>``. :func:`clean_outputs` keeps only the output types a page can show
safely (plain text, sanitised HTML and markdown, LaTeX, PNG/JPEG/GIF checked to be base64, SVG
only as an image) and drops JavaScript, widgets and any other type. Each feedback page also
carries a Content-Security-Policy (:data:`CSP`) that allows scripts only from the page's own
copy of MathJax, so a sanitiser miss still cannot run.
"""
from __future__ import annotations

import re

import nh3

TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "u", "ul", "var", "figure", "figcaption"}
ATTRIBUTES = {"*": {"class", "title"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
              "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"}, "ol": {"start"}}
IMAGE_URL = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
SAFE_URL = re.compile(r"(https?:|mailto:|#|[^:]*$)", re.I)  # http(s), mail, in-page, or relative without a scheme
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
SHOWN = {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/gif",
         "image/svg+xml"}
# scripts only from the page's own MathJax (no inline scripts), images only inline or beside the page
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'")


def _attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("src", "href"):
        value = value.strip()
        if tag == "img" and attribute == "src":
            return value if IMAGE_URL.match(value) else None
        return value if SAFE_URL.match(value) else None
    if attribute in ("width", "height", "colspan", "rowspan", "start"):
        return value if value.isdigit() else None
    return value


def clean_html(html) -> str:
    """Student HTML with everything but the allow-list removed."""
    html = html.decode() if isinstance(html, bytes) else str(html)
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_attribute, strip_comments=True,
                     clean_content_tags={"script", "style"}, url_schemes={"http", "https", "mailto", "data"},
                     link_rel="noopener noreferrer nofollow")


def clean_outputs(outputs: list) -> list:
    """A code cell's outputs with only what a page shows safely."""
    kept = []
    for output in outputs:
        kind = output.get("output_type")
        if kind in ("stream", "error"):  # rendered as escaped text
            kept.append(output)
            continue
        if kind not in ("display_data", "execute_result"):
            continue
        data = {k: v for k, v in output.get("data", {}).items() if k in SHOWN}
        for key in ("image/png", "image/jpeg", "image/gif"):
            if key in data and not (isinstance(data[key], str) and BASE64.fullmatch(data[key])):
                del data[key]
        for key in ("text/html", "text/markdown"):
            if key in data:
                data[key] = clean_html(data[key] if isinstance(data[key], str) else "".join(data[key]))
        if not data:
            continue
        output["data"] = data
        meta = {}
        for key in ("image/png", "image/jpeg", "image/gif"):
            size = output.get("metadata", {}).get(key, {})
            if isinstance(size, dict):
                sizes = {d: size[d] for d in ("width", "height") if isinstance(size.get(d), int)}
                if sizes:
                    meta[key] = sizes
        output["metadata"] = meta
        kept.append(output)
    return kept


SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
SCRIPT_URL = re.compile(r"(javascript|vbscript)\s*:", re.I)
MARKUP = re.compile(r"<[A-Za-z!/?]|javascript:|vbscript:|data:", re.I)


def clean_notebook(nb):
    """A notebook whose every page rendering is safe: outputs cleaned, markdown with raw HTML or
    script URLs passed through the sanitiser, cell tags and ids that cannot break out of an
    attribute, and no attachments or notebook metadata a template might print. In place; returns it."""
    import uuid

    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info", "nbgrader")}
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        if cell.get("id") is not None and not SAFE_NAME.fullmatch(str(cell["id"])):
            cell["id"] = uuid.uuid4().hex[:8]
        tags = cell.get("metadata", {}).get("tags")
        if tags is not None:
            cell.metadata["tags"] = [t for t in tags if isinstance(t, str) and SAFE_NAME.fullmatch(t)]
        cell.pop("attachments", None)
        if cell.cell_type in ("markdown", "raw") and MARKUP.search(cell.source):
            cell.source = SCRIPT_URL.sub("blocked:", clean_html(cell.source))  # markdown links are not HTML to nh3
        if cell.cell_type == "code":
            cell.outputs = clean_outputs(cell.get("outputs", []))
    return nb


# what a browser runs as a script (any other type, such as MathJax's text/x-mathjax-config, is data)
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript",
            "text/jscript", "text/livescript", "application/x-javascript", "text/x-javascript"}


def active_content(page: str) -> list[str]:
    """What in an HTML page could run or load something: scripts other than a same-origin
    ``src`` (the page's MathJax), inline event attributes, ``javascript:``/``vbscript:`` URLs,
    frames, objects, SVG elements, ``<meta http-equiv>`` other than the CSP. Empty for a clean
    page (the self-test and the tests check every feedback page with it)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict((k.lower(), v or "") for k, v in attrs)
            runs = attrs.get("type", "").lower().split(";")[0].strip() in JS_TYPES  # not a data block
            if tag == "script" and runs and (not attrs.get("src") or re.match(r"\s*(\w+:|//)", attrs["src"])):
                found.append(f"<script{' src=' + attrs['src'] if attrs.get('src') else ''}> (inline or not this page's own)")
            if tag in ("iframe", "frame", "object", "embed", "svg", "base", "form", "applet"):
                found.append(f"<{tag}>")
            if tag == "meta" and attrs.get("http-equiv", "").lower() not in ("", "content-security-policy"):
                found.append(f"<meta http-equiv={attrs['http-equiv']}>")
            for name, value in attrs.items():
                if name.startswith("on"):
                    found.append(f"<{tag} {name}=...>")
                if name in ("href", "src", "action", "formaction", "xlink:href", "data") and \
                        re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                    found.append(f"<{tag} {name}={value[:30]}>")

    Scan(convert_charrefs=True).feed(page)
    return found
