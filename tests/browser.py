"""Pages checked in a real browser: headless Chromium driven by Selenium (Debian's ``chromium``
and ``chromium-driver``; ``make test`` installs them where it can).

:func:`check_page` loads one HTML file and returns what is wrong with it, as sentences: a
JavaScript error in the console, maths left as raw TeX (MathJax missing or failing), an
image that did not load, an internal link or a download that does not resolve (a downloaded
notebook or archive that is not valid). It also saves a screenshot for a person to look at.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)


def unavailable() -> str | None:
    """Why no browser test can run here (None when one can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is in pyproject.toml: run `make setup`)"
    if not CHROMIUM or not DRIVER:
        return ("no headless Chromium: `apt-get install chromium chromium-driver` (as root; `make test` tries it) "
                f"found chromium={CHROMIUM}, chromedriver={DRIVER}")
    return None


@contextmanager
def browser(width: int = 1280, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                f"--user-data-dir={profile}", f"--window-size={width},{height}", "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    env = {**os.environ, "HOME": profile, "XDG_CACHE_HOME": profile, "XDG_CONFIG_HOME": profile}
    driver = webdriver.Chrome(service=Service(DRIVER, env=env), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# the page's text outside code, for raw TeX left untypeset
VISIBLE_TEXT = """
const body = document.body.cloneNode(true);
body.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
return body.innerText;
"""
WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { done('absent'); return; }
MathJax.startup.promise.then(() => done('typeset'), e => done('failed: ' + e));
"""
PAGE_FACTS = """
const images = Array.from(document.images).map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}));
const links = Array.from(document.querySelectorAll('a[href]')).map(a => ({href: a.href, raw: a.getAttribute('href'),
                                                                           download: a.classList.contains('download')}));
return {images, links, maths: document.querySelectorAll('.math, span.MathJax_Preview, div.math').length,
        typeset: document.querySelectorAll('mjx-container').length, ready: document.readyState};
"""
RAW_TEX = re.compile(r"\$\$|\\frac|\\sum|\\mathbf|\\left|\\\(|\\\[")


def _valid_download(path: Path) -> str | None:
    try:
        if path.suffix == ".ipynb":
            nbformat.validate(nbformat.read(str(path), 4))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                if bad:
                    return f"corrupt member {bad}"
                notebooks = [n for n in zf.namelist() if n.endswith(".ipynb")]
                if not notebooks:
                    return "holds no notebook"
                for name in notebooks:
                    nbformat.validate(nbformat.reads(zf.read(name).decode(), 4))
    except Exception as err:  # noqa: BLE001 - reported as the page's problem
        return f"{type(err).__name__}: {str(err)[:200]}"
    return None


def _has_anchor(path: Path, fragment: str, cache: dict) -> bool:
    if path not in cache:
        cache[path] = path.read_text(errors="replace") if path.suffix == ".html" else ""
    text = cache[path]
    return not text or re.search(rf"""(id|name)=["']{re.escape(fragment)}["']""", text) is not None


def check_page(driver, page: Path, screenshots: Path | None = None, root: Path | None = None,
               anchors: dict | None = None) -> list[str]:
    """Problems of ``page`` (an HTML file), each a sentence naming the page."""
    from selenium.webdriver.support.ui import WebDriverWait

    anchors = {} if anchors is None else anchors
    name = page.relative_to(root).as_posix() if root else page.name
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    mathjax = driver.execute_async_script(WAIT_FOR_MATHJAX)
    facts = driver.execute_script(PAGE_FACTS)
    problems = []
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"{name}: JavaScript console error: {entry.get('message', '')[:300]}")
    if facts["maths"]:
        if mathjax != "typeset" or not facts["typeset"]:
            problems.append(f"{name}: {facts['maths']} maths element(s) but MathJax {mathjax} "
                            f"({facts['typeset']} typeset)")
    raw = RAW_TEX.findall(driver.execute_script(VISIBLE_TEXT))
    if raw:
        problems.append(f"{name}: raw TeX in the rendered text: {sorted(set(raw))}")
    for image in facts["images"]:
        if not image["ok"]:
            problems.append(f"{name}: image not loaded: {image['src']}")
    for link in facts["links"]:
        url = urlparse(link["href"])
        if url.scheme != "file":
            continue
        target = Path(unquote(url.path))
        if not target.exists():
            problems.append(f"{name}: broken link {link['raw']}")
        elif url.fragment and target.is_file() and not _has_anchor(target, unquote(url.fragment), anchors):
            problems.append(f"{name}: link to a missing anchor {link['raw']}")
        elif target.is_file() and (link["download"] or "/_downloads/" in url.path):
            bad = _valid_download(target)
            if bad:
                problems.append(f"{name}: download {link['raw']} is not valid: {bad}")
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshots / (name.replace("/", "__").removesuffix(".html") + ".png")))
    return problems


def summary_rows(driver, page: Path) -> list[dict]:
    """The feedback page's summary table as the browser shows it: part, points, message, link."""
    driver.get(page.resolve().as_uri())
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#feedback-summary tbody tr')).map(tr => ({
            part: tr.dataset.part, points: tr.children[1].innerText.trim(), message: tr.children[2].innerText.trim(),
            link: tr.querySelector('a').getAttribute('href'),
            target: !!document.querySelector('a[name="' + tr.dataset.part + '"], #' + CSS.escape(tr.dataset.part))}));
    """)


def pages(html_root: Path) -> list[Path]:
    """Every page of a built book (not Sphinx's own assets)."""
    return sorted(p for p in html_root.rglob("*.html") if not {"_static", "_sources", "_images"} & set(p.parts))


def dump(problems: list[str]) -> str:
    return json.dumps(problems, indent=1)
