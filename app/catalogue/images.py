"""Image files of a course: type from the bytes, size limit, and SVG without anything active or external."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.catalogue.parsed import ImageAsset
from app.catalogue.problems import FileProblems

MEDIA_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
FORBIDDEN_ELEMENTS = {"script", "foreignobject", "image", "iframe", "embed", "object", "audio", "video"}
# What a simple drawing needs, and all a phone must draw: filters (a blur over a huge area), patterns, masks,
# a <use> of something that holds a <use> (copies that multiply) and animation can each keep a phone's browser
# busy for seconds.
FAST_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "metadata", "style", "path", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "text", "tspan", "lineargradient", "radialgradient", "stop", "clippath",
    "use",
}  # fmt: skip
SLOW_ATTRIBUTES = {"filter", "mask"}
# Numbers in all the shapes' path data and points (a simple drawing holds a few hundred; 297 paths of 60 points
# across the picture took 1.2 s to draw on a phone-speed CPU).
MAX_SVG_NUMBERS = 3000
SHAPE_DATA = ("d", "points")
NUMBER = re.compile(r"[-+]?(?:\d*\.\d+|\d+)(?:[eE][-+]?\d+)?")
LINK_ATTRIBUTES = {"href", "src"}
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)|<\?(?!xml\s)", re.IGNORECASE)


def check_image(
    path: str, data: bytes, out: FileProblems, *, max_bytes: int, max_svg_elements: int = 300
) -> ImageAsset | None:
    """The image as a content-addressed asset, or None (with problems) when it may not be served."""
    extension = path.rsplit(".", 1)[-1].lower()
    media_type = MEDIA_TYPES.get(extension)
    if media_type is None:
        out.error(1, "images must be SVG, PNG, JPEG or WebP files")
        return None
    if len(data) > max_bytes:
        out.error(1, f"image is {len(data)} bytes; the limit is {max_bytes} (setting CONTENT_MAX_IMAGE_BYTES)")
        return None
    if not _bytes_match(extension, data):
        out.error(1, f"the file's bytes are not a {extension.upper()} image")
        return None
    if extension == "svg" and not check_svg(data, out, max_elements=max_svg_elements):
        return None
    stored_extension = "jpg" if extension == "jpeg" else extension
    return ImageAsset(hashlib.sha256(data).hexdigest(), media_type, stored_extension, data)


def _bytes_match(extension: str, data: bytes) -> bool:
    if extension == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if extension == "webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return b"<svg" in data[:4096]


def check_svg(data: bytes, out: FileProblems, *, max_elements: int = 300) -> bool:
    """True when the SVG has no script, event handler, foreign content or external reference, and draws fast."""
    if DECLARATION.search(data):
        out.error(1, "SVG must not contain a DOCTYPE, entities or processing instructions")
        return False
    try:
        root = fromstring(data, forbid_dtd=True)
    except ET.ParseError as exc:
        out.error(exc.position[0], f"SVG is not well-formed XML: {exc}")
        return False
    except DefusedXmlException:
        out.error(1, "SVG must not contain a DOCTYPE or entities")
        return False
    if _local(root.tag) != "svg":
        out.error(1, "the root element of an SVG file must be <svg>")
        return False
    found = [problem for element in root.iter() for problem in _element_problems(element)]
    for problem in dict.fromkeys(found):
        out.error(1, f"SVG refused: {problem}")
    if not found and not _draws_fast(root, out, max_elements):
        return False
    if "viewBox" not in root.attrib:
        out.warning(1, "SVG has no viewBox: it will not scale to the screen")
    if any(_local(element.tag) == "text" for element in root.iter()):
        out.warning(1, "SVG contains <text>: put the meaning in the alt text instead")
    return not found


def _draws_fast(root: ET.Element, out: FileProblems, max_elements: int) -> bool:
    """Only the elements of a simple drawing, and not too many of them (CONTENT_MAX_SVG_ELEMENTS)."""
    elements = list(root.iter())
    slow = sorted({_local(e.tag) for e in elements if _local(e.tag).lower() not in FAST_ELEMENTS})
    slow_attributes = sorted({_local(a) for e in elements for a in e.attrib if _local(a) in SLOW_ATTRIBUTES})
    if slow or slow_attributes:
        named = ", ".join([f"<{name}>" for name in slow] + [f"'{name}'" for name in slow_attributes])
        out.error(1, f"SVG refused: {named} can make a phone draw slowly; use simple shapes only")
        return False
    if _nested_use(elements):
        out.error(1, "SVG refused: a <use> shows something that holds another <use> (copies that multiply)")
        return False
    drawn, numbers = _drawn(elements)
    if drawn > max_elements:
        message = f"SVG refused: {drawn} elements (limit {max_elements}, setting CONTENT_MAX_SVG_ELEMENTS)"
        out.error(1, message)
        return False
    if numbers > MAX_SVG_NUMBERS:
        out.error(1, f"SVG refused: its shapes hold {numbers} numbers (limit {MAX_SVG_NUMBERS}): simplify the drawing")
        return False
    return True


def _drawn(elements: list[ET.Element]) -> tuple[int, int]:
    """Elements drawn and numbers in the shapes' path data and points, counting what each <use> shows again
    (a <use> of a group of 150 shapes draws 150 more; tests/web/test_author_page.py measured why both count)."""
    by_id = {e.attrib["id"]: e for e in elements if "id" in e.attrib}
    count, numbers = 0, 0
    for element in elements:
        shown = [element]
        if _local(element.tag) == "use":
            target = next((v for a, v in element.attrib.items() if _local(a) == "href"), "").strip().removeprefix("#")
            if target in by_id:
                shown += list(by_id[target].iter())
        count += len(shown)
        numbers += sum(len(NUMBER.findall(e.attrib.get(name, ""))) for e in shown for name in SHAPE_DATA)
    return count, numbers


def _nested_use(elements: list[ET.Element]) -> bool:
    by_id = {e.attrib["id"]: e for e in elements if "id" in e.attrib}
    for element in elements:
        if _local(element.tag) != "use":
            continue
        target = next((v for a, v in element.attrib.items() if _local(a) == "href"), "").strip().removeprefix("#")
        shown = by_id.get(target)
        if shown is not None and any(_local(e.tag) == "use" for e in shown.iter()):
            return True
    return False


def _element_problems(element: ET.Element) -> list[str]:
    name = _local(element.tag)
    problems = []
    if name.lower() in FORBIDDEN_ELEMENTS:
        problems.append(f"<{name}> element")
    if name == "style" and element.text and ("@import" in element.text or EXTERNAL_URL.search(element.text)):
        problems.append("<style> with @import or an external url()")
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.lower().startswith("on"):
            problems.append(f"event handler attribute '{local}' on <{name}>")
        elif local in LINK_ATTRIBUTES and not value.strip().startswith("#"):
            problems.append(f'external reference {local}="{value}" on <{name}>')
        elif EXTERNAL_URL.search(value):
            problems.append(f"external url() in '{local}' on <{name}>")
    return problems


def _local(name: str) -> str:
    """Element or attribute name without its namespace ({http://www.w3.org/1999/xlink}href -> href)."""
    return name.rsplit("}", 1)[-1]
