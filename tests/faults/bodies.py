"""Malformed and oversized request bodies, shared by the fast and the gunicorn tests."""

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Body:
    name: str
    content: bytes
    content_type: str
    # The exact status and words expected, or None where any 4xx (or a redirect) will do.
    status: int | None = None
    says: str = ""


def _deep_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


BODIES = [
    Body(
        "10 MB of JSON",
        b'{"answers": "' + b"x" * (10 * MB) + b'"}',
        "application/json",
        413,
        "Too much data sent",
    ),
    Body(
        "2 MB form field",
        b"language=" + b"x" * (2 * MB),
        "application/x-www-form-urlencoded",
        413,
        "Too much data sent",
    ),
    Body(
        "2 MB multipart field",
        b'--XX\r\nContent-Disposition: form-data; name="language"\r\n\r\n'
        + b"x" * (2 * MB)
        + b"\r\n--XX--\r\n",
        "multipart/form-data; boundary=XX",
        413,
        "Too much data sent",
    ),
    Body(
        "100,000 fields",
        b"&".join(b"f%d=1" % n for n in range(100_000)),
        "application/x-www-form-urlencoded",
        400,
        "Too many fields sent",
    ),
    Body(
        "invalid UTF-8",
        b"language=\xff\xfe\xfd&next=/\xc3\x28&collective_1=\xe2\x28\xa1&activity_1=\xff",
        "application/x-www-form-urlencoded",
    ),
    Body(
        "NUL bytes",
        b"language=cy%00&next=/%00/&collective_1=1%00&activity_1=yes%00&year=19%0070",
        "application/x-www-form-urlencoded",
    ),
    Body("raw NUL bytes", b"language=\x00\x00&next=\x00", "application/x-www-form-urlencoded"),
    Body("deeply nested JSON", _deep_json(50_000), "application/json"),
    Body(
        "deeply nested form keys",
        b"a" + b"[a]" * 30_000 + b"=1",
        "application/x-www-form-urlencoded",
    ),
    Body("multipart without a boundary", b"--\r\n\x00garbage", "multipart/form-data"),
    Body(
        "unterminated multipart",
        b"--XX\r\nContent-Disposition: form-data",
        "multipart/form-data; boundary=XX",
    ),
    Body("XML", b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "text/xml"),
]
