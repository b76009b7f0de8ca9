"""Recorded narration of a lesson (pure): an MP3 or Opus file of the course's audio/ directory, the type read
from its bytes and its size limited; the lesson's own text is its transcript."""

from __future__ import annotations

import hashlib
import re

from app.catalogue.parsed import ImageAsset
from app.catalogue.problems import FileProblems

AUDIO_DIR = "audio"
AUDIO_PATH = re.compile(r"audio/[a-z0-9]+(?:[._-][a-z0-9]+)*\.(?:mp3|opus|ogg)", re.ASCII)
MEDIA_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "ogg": "audio/ogg"}
EXTENSIONS = tuple(f".{extension}" for extension in MEDIA_TYPES)


def check_audio(path: str, data: bytes, out: FileProblems, *, max_bytes: int) -> ImageAsset | None:
    """The recording as a content-addressed asset, or None (with problems) when it may not be served."""
    extension = path.rsplit(".", 1)[-1].lower()
    if extension not in MEDIA_TYPES:
        out.error(1, "recordings must be MP3 (.mp3) or Opus (.opus, .ogg) files")
        return None
    if len(data) > max_bytes:
        out.error(1, f"recording is {len(data)} bytes; the limit is {max_bytes} (setting CONTENT_MAX_AUDIO_BYTES)")
        return None
    if not _bytes_match(extension, data):
        kind = "an MP3" if extension == "mp3" else "an Ogg Opus"
        out.error(1, f"the file's bytes are not {kind} recording")
        return None
    return ImageAsset(hashlib.sha256(data).hexdigest(), MEDIA_TYPES[extension], extension, data)


def _bytes_match(extension: str, data: bytes) -> bool:
    if extension == "mp3":  # an ID3 tag, or straight into an MPEG audio frame (11 sync bits)
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    return data.startswith(b"OggS") and b"OpusHead" in data[:128]
