"""A multipart parser that keeps the raw bytes of text fields that are not UTF-8.

Django decodes multipart text fields with ``errors="replace"``: a program saved in Latin-1 would
silently become different code (U+FFFD instead of the original bytes). Parsing as Latin-1, which
maps every byte to one character, and converting back gives the exact bytes; fields that are
UTF-8 become the same strings Django would have produced, the others stay ``bytes`` so the
service can refuse them with a clear message instead of storing altered code.
"""

from __future__ import annotations

from typing import Any

from django.utils.datastructures import MultiValueDict
from rest_framework.parsers import DataAndFiles, MultiPartParser


class RawTextMultiPartParser(MultiPartParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> DataAndFiles:
        parser_context = {**(parser_context or {}), "encoding": "latin-1"}
        parsed = super().parse(stream, media_type, parser_context)
        # A MultiValueDict, not a QueryDict: a QueryDict would decode the bytes again.
        data = MultiValueDict(
            {key: [_exact(value) for value in values] for key, values in parsed.data.lists()}
        )
        return DataAndFiles(data, parsed.files)


def _exact(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    raw = value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
