"""Caption, credit, copyright and keywords embedded in a photo (IPTC IIM and XMP).

Agencies and photographers fill these in their tools; khabar reads them on upload so the
desk only checks them. XMP (always Unicode) wins over IIM where both carry a field. IIM
text is UTF-8 when dataset 1:90 says ``ESC % G``; undeclared text that is not UTF-8 is read
in a legacy code page (Windows-1256 by default, common in Arabic newsrooms). Text that does
not decode, or decodes to control characters, is refused rather than stored as mojibake.

``iim_block`` and ``embed_iptc`` write IIM for the demo photos and the test fixtures.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree
from PIL import Image, IptcImagePlugin

from khabar.photos import conf

# IIM datasets (record 2, the application record) and 1:90, the coded character set.
CHARSET = (1, 90)
OBJECT_NAME = (2, 5)
KEYWORDS = (2, 25)
BYLINE = (2, 80)
HEADLINE = (2, 105)
CREDIT = (2, 110)
COPYRIGHT = (2, 116)
CAPTION = (2, 120)

UTF8_ESCAPE = b"\x1b%G"
_DECLARED_CHARSETS = {UTF8_ESCAPE: "utf-8", b"\x1b-A": "iso8859-1", b"\x1b-F": "iso8859-6"}

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class MetadataError(ValueError):
    """The embedded metadata cannot be read reliably; the message is for the desk."""


@dataclass
class PhotoMetadata:
    caption: str = ""
    credit: str = ""
    creator: str = ""
    copyright_holder: str = ""
    headline: str = ""
    alt_text: str = ""
    keywords: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    @property
    def display_credit(self) -> str:
        """What follows ``عدسة:``: the credit line, else the photographer."""
        return self.credit or self.creator


def read_metadata(image: Image.Image, *, lang: str = "ar") -> PhotoMetadata:
    """Read IPTC IIM and XMP from an opened image; raise MetadataError on broken text."""
    iim = _read_iim(image)
    xmp = _read_xmp(image, lang=lang)
    merged = PhotoMetadata()
    for name in ("caption", "credit", "creator", "copyright_holder", "headline", "alt_text"):
        setattr(merged, name, getattr(xmp, name) or getattr(iim, name))
    merged.keywords = xmp.keywords or iim.keywords
    return merged


# --- IIM ---------------------------------------------------------------------------------


def _read_iim(image: Image.Image) -> PhotoMetadata:
    try:
        info = IptcImagePlugin.getiptcinfo(image)  # type: ignore[no-untyped-call]
    except (SyntaxError, ValueError, OSError, IndexError, struct.error):
        raise MetadataError(_("The photo's IPTC metadata is damaged.")) from None
    if not info:
        return PhotoMetadata()
    declared = _first(info.get(CHARSET))
    if declared:
        encoding = _DECLARED_CHARSETS.get(declared.strip())
        if encoding is None:
            raise MetadataError(
                _("The photo's IPTC metadata uses a character set khabar cannot read.")
            )
    else:
        encoding = None

    def text(key: tuple[int, int]) -> str:
        return _decode(_first(info.get(key)), encoding)

    values = info.get(KEYWORDS) or []
    if isinstance(values, bytes):
        values = [values]
    return PhotoMetadata(
        caption=text(CAPTION),
        credit=text(CREDIT),
        creator=text(BYLINE),
        copyright_holder=text(COPYRIGHT),
        headline=text(HEADLINE),
        keywords=[k for k in (_decode(v, encoding) for v in values) if k],
    )


def _first(value: bytes | list[bytes] | None) -> bytes:
    if isinstance(value, list):
        return value[0] if value else b""
    return value or b""


def _decode(raw: bytes, encoding: str | None) -> str:
    if not raw:
        return ""
    broken = _("The photo's IPTC metadata is not valid text in its character set.")
    try:
        if encoding is not None:
            text = raw.decode(encoding)
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode(conf.legacy_encoding())
    except (UnicodeDecodeError, LookupError):
        raise MetadataError(broken) from None
    return _clean(text, broken)


def _clean(text: str, message: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip().rstrip("\x00")
    for ch in text:
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\t"):
            raise MetadataError(message)
    return text


def iim_block(fields: dict[tuple[int, int], str | list[str]]) -> bytes:
    """Encode IIM datasets as UTF-8, declaring it in 1:90 as the standard asks."""
    out = bytearray(_dataset(CHARSET, UTF8_ESCAPE))
    out += _dataset((2, 0), b"\x00\x04")
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out += _dataset(key, item.encode("utf-8"))
    return bytes(out)


def _dataset(key: tuple[int, int], value: bytes) -> bytes:
    if len(value) > 0x7FFF:
        raise ValueError("IIM value too long")
    return struct.pack(">BBBH", 0x1C, key[0], key[1], len(value)) + value


def embed_iptc(jpeg: bytes, iim: bytes) -> bytes:
    """Return the JPEG with an APP13 (Photoshop IRB 0x0404) segment carrying ``iim``."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    resource += iim + (b"\x00" if len(iim) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    # Keep JFIF/EXIF (APP0, APP1) first, as readers expect; IPTC goes after them.
    pos = 2
    while jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        pos += 2 + struct.unpack(">H", jpeg[pos + 2 : pos + 4])[0]
    return jpeg[:pos] + segment + jpeg[pos:]


# --- XMP ---------------------------------------------------------------------------------


def _xmp_packet(image: Image.Image) -> bytes:
    raw = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    return bytes(raw)


def _read_xmp(image: Image.Image, *, lang: str) -> PhotoMetadata:
    packet = _xmp_packet(image).strip(b"\x00 \r\n\t")
    if not packet:
        return PhotoMetadata()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(packet, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise MetadataError(_("The photo's XMP metadata is not well-formed.")) from None
    message = _("The photo's XMP metadata is not valid text.")
    descriptions = root.findall(".//rdf:Description", NS)

    def simple(prefix: str, name: str) -> str:
        qname = f"{{{NS[prefix]}}}{name}"
        for d in descriptions:
            if d.get(qname):
                return _clean(d.get(qname) or "", message)
            child = d.find(f"{prefix}:{name}", NS)
            if child is not None and child.text and child.text.strip():
                return _clean(child.text, message)
        return ""

    def items(prefix: str, name: str) -> list[etree._Element]:
        for d in descriptions:
            node = d.find(f"{prefix}:{name}", NS)
            if node is not None:
                return list(node.iterfind(".//rdf:li", NS))
        return []

    def alt(prefix: str, name: str) -> str:
        found = {li.get(XML_LANG, "x-default"): li.text or "" for li in items(prefix, name)}
        for key in (lang, "x-default", *found):
            if found.get(key, "").strip():
                return _clean(found[key], message)
        return simple(prefix, name)

    def listed(prefix: str, name: str) -> list[str]:
        return [_clean(li.text, message) for li in items(prefix, name) if (li.text or "").strip()]

    owners = [
        _clean(li.findtext("plus:CopyrightOwnerName", "", NS), message)
        for li in items("plus", "CopyrightOwner")
    ]
    return PhotoMetadata(
        caption=alt("dc", "description"),
        credit=simple("photoshop", "Credit"),
        creator=", ".join(listed("dc", "creator")),
        copyright_holder=", ".join(o for o in owners if o) or alt("dc", "rights"),
        headline=simple("photoshop", "Headline"),
        alt_text=alt("Iptc4xmpCore", "AltTextAccessibility"),
        keywords=listed("dc", "subject"),
    )


def xmp_packet(meta: PhotoMetadata, *, lang: str = "ar") -> bytes:
    """A minimal XMP packet carrying ``meta`` (for fixtures and the demo photos)."""
    rdf, dc = NS["rdf"], NS["dc"]
    E = etree.Element
    root = E(f"{{{NS['x']}}}xmpmeta", nsmap={"x": NS["x"]})
    holder = etree.SubElement(root, f"{{{rdf}}}RDF", nsmap={"rdf": rdf})
    desc = etree.SubElement(
        holder,
        f"{{{rdf}}}Description",
        nsmap={k: NS[k] for k in ("dc", "photoshop", "Iptc4xmpCore")},
    )
    desc.set(f"{{{rdf}}}about", "")
    if meta.credit:
        desc.set(f"{{{NS['photoshop']}}}Credit", meta.credit)

    def container(parent_name: str, kind: str, values: list[tuple[str | None, str]]) -> None:
        node = etree.SubElement(desc, parent_name)
        bag = etree.SubElement(node, f"{{{rdf}}}{kind}")
        for item_lang, value in values:
            li = etree.SubElement(bag, f"{{{rdf}}}li")
            if item_lang:
                li.set(XML_LANG, item_lang)
            li.text = value

    if meta.caption:
        container(f"{{{dc}}}description", "Alt", [("x-default", meta.caption)])
    if meta.alt_text:
        container(f"{{{NS['Iptc4xmpCore']}}}AltTextAccessibility", "Alt", [(lang, meta.alt_text)])
    if meta.copyright_holder:
        container(f"{{{dc}}}rights", "Alt", [("x-default", meta.copyright_holder)])
    if meta.creator:
        container(f"{{{dc}}}creator", "Seq", [(None, meta.creator)])
    if meta.keywords:
        container(f"{{{dc}}}subject", "Bag", [(None, k) for k in meta.keywords])
    return bytes(etree.tostring(root, encoding="utf-8"))
