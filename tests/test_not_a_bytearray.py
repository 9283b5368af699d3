"""Where a Buffer is not a bytearray: code that checks for bytes or bytearray by type refuses it.

The list is pinned, so a new Python that starts (or stops) accepting a Buffer shows up here, and
the README's section "Where a Buffer is not a bytearray" stays true.
"""

import base64
import hashlib
import json
import os
import re
import urllib.parse
import zlib

import pytest

import remap

REFUSE = {  # what checks isinstance(x, (bytes, bytearray)) or PyByteArray_Check, and the way out
    "json.loads": (json.loads, b'{"a": 1}', bytes),
    "urllib.parse.quote": (urllib.parse.quote, b"a b", bytes),
    "os.fsdecode": (os.fsdecode, b"name", bytes),
}
ACCEPT = {  # what takes any bytes-like object, a Buffer included, without a copy
    "base64.b64encode": base64.b64encode, "zlib.compress": zlib.compress,
    "hashlib.sha256": lambda data: hashlib.sha256(data).digest(),
    "re.search": lambda data: re.search(rb"b", data).start(),
    "bytes.join": lambda data: b"".join([data]), "int.from_bytes": lambda data: int.from_bytes(data, "big"),
}


@pytest.mark.parametrize("name", REFUSE)
def test_these_refuse_a_buffer_and_take_its_bytes(name):
    function, data, way_out = REFUSE[name]
    with pytest.raises(TypeError):
        function(remap.Buffer(data))
    assert function(way_out(remap.Buffer(data))) == function(data)


@pytest.mark.parametrize("name", ACCEPT)
def test_these_take_a_buffer_as_it_is(name):
    data = b"a b\nc"
    assert ACCEPT[name](remap.Buffer(data)) == ACCEPT[name](data)
