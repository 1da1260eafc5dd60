"""What "no executable content" means for a rendered page, checked on the parsed document.

Used by the XSS corpus and the header tests: a page may run only scripts loaded from the
site itself (``<script src="/static/…">``) and carry JSON-LD; nothing else may run.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

URL_ATTRIBUTES = (
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "ping",
    "lowsrc",
    "dynsrc",
    "cite",
    "longdesc",
    "manifest",
    "codebase",
)
# Elements that run or load active content; <link> and <meta> are judged by their attributes.
DANGEROUS_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "svg",
    "math",
    "template",
    "portal",
}
# Tags the page itself uses in <head> and nowhere else.
HEAD_TAGS = {"style"}
_BAD_URL = re.compile(
    r"^(?:javascript|vbscript|livescript|data(?!:image/(?:png|jpeg|gif|webp|avif)[;,]))\s*:", re.I
)
_CONTROLS = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_BAD_STYLE = re.compile(
    r"expression\s*\(|javascript\s*:|vbscript\s*:|-moz-binding|behavior\s*:|@import", re.I
)
_JSON_TYPES = {"application/ld+json", "application/json"}


def _url(value: str) -> str:
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    return _CONTROLS.sub("", value)


def problems(
    html: str | bytes,
    *,
    same_origin: tuple[str, ...] = ("/",),
    style_attributes: bool = False,
    allowed_tags: frozenset[str] = frozenset(),
) -> list[str]:
    """Every way the document could run code that did not come from the site."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html.strip():
        return []
    doc = lxml.html.document_fromstring(html)
    found: list[str] = []
    head = doc.find("head")
    head_elements = set(head.iter()) if head is not None else set()
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions do not run
        tag = element.tag.lower().rsplit("}", 1)[-1]
        if tag == "script":
            kind = (element.get("type") or "").lower()
            src = element.get("src")
            if kind in _JSON_TYPES and not src:
                text = element.text or ""
                if "</" in text.lower() or "<!--" in text:
                    found.append(f"JSON script holds markup: {text[:80]!r}")
                continue
            if not src:
                found.append(f"inline script: {(element.text or '')[:80]!r}")
            elif not src.startswith(same_origin) or src.startswith("//"):
                found.append(f"script from elsewhere: {src!r}")
            continue
        if tag in DANGEROUS_TAGS - allowed_tags and not (
            tag in HEAD_TAGS and element in head_elements
        ):
            found.append(f"<{tag}> in the body")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            found.append("meta refresh")
        if tag == "link" and (element.get("rel") or "").lower() == "import":
            found.append("link rel=import")
        for name, value in element.attrib.items():
            key = name.lower().rsplit("}", 1)[-1]
            if key.startswith("on"):
                found.append(f"event handler {name}={value[:60]!r} on <{tag}>")
            elif key in URL_ATTRIBUTES or name.lower() in URL_ATTRIBUTES:
                for part in value.split(",") if key == "srcset" else [value]:
                    if _BAD_URL.match(_url(part.strip())):
                        found.append(f"{name}={value[:60]!r} on <{tag}>")
            elif key == "style" and (not style_attributes or _BAD_STYLE.search(value)):
                found.append(f"style attribute on <{tag}>: {value[:60]!r}")
            elif key == "srcdoc":
                found.append(f"srcdoc on <{tag}>")
        if tag == "style" and _BAD_STYLE.search(element.text or ""):
            found.append(f"<style> with script: {(element.text or '')[:60]!r}")
    return found


def xml_problems(data: bytes) -> list[str]:
    """A feed or sitemap must stay well-formed XML."""
    try:
        lxml.etree.fromstring(data, parser=lxml.etree.XMLParser(resolve_entities=False))
    except lxml.etree.XMLSyntaxError as error:
        return [f"not well-formed: {error}"]
    return []


def post_forms_without_csrf(html: str) -> list[str]:
    """The POST forms of a page that carry no CSRF token."""
    doc = lxml.html.document_fromstring(html)
    missing = []
    for form in doc.iter("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        if not form.xpath(".//input[@name='csrfmiddlewaretoken']"):
            missing.append(form.get("action") or "(this page)")
    return missing
