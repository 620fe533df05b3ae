"""Convert an OSM XML file to OSM PBF with a tiny pure-Python writer (no osmium / protobuf package needed).

Used once to make ``tests/data/shanghai_jingan_drive_osm.osm.pbf`` from ``shanghai_jingan_drive_osm.osm``:

    python tests/data/make_osm_pbf.py tests/data/shanghai_jingan_drive_osm.osm \
        tests/data/shanghai_jingan_drive_osm.osm.pbf

It writes the format of https://wiki.openstreetmap.org/wiki/PBF_Format: an ``OSMHeader`` blob and one ``OSMData``
blob (zlib) holding a DenseNodes group and a Ways group; coordinates at the default granularity of 100 nanodegrees
(the 7 decimals of OSM XML), no metadata, no relations. The test suite reads the result with GDAL's OSM driver and
checks that it gives the same network as the XML file.
"""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _field_varint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _field_bytes(field: int, data: bytes) -> bytes:
    return _varint((field << 3) | 2) + _varint(len(data)) + data


def _packed(field: int, values, signed: bool = False) -> bytes:
    body = b"".join(_varint(_zigzag(v) if signed else v) for v in values)
    return _field_bytes(field, body)


def _delta(values):
    previous, out = 0, []
    for v in values:
        out.append(v - previous)
        previous = v
    return out


class _Strings:
    def __init__(self) -> None:
        self.table = [b""]
        self.index: dict[bytes, int] = {b"": 0}

    def __call__(self, text: str) -> int:
        key = text.encode("utf-8")
        if key not in self.index:
            self.index[key] = len(self.table)
            self.table.append(key)
        return self.index[key]


def _blob(kind: str, payload: bytes) -> bytes:
    blob = _field_varint(2, len(payload)) + _field_bytes(3, zlib.compress(payload, 9))
    header = _field_bytes(1, kind.encode()) + _field_varint(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def _read(path: Path):
    root = ET.parse(path).getroot()
    nodes, ways = [], []
    for el in root:
        tags = [(t.get("k"), t.get("v")) for t in el.findall("tag")]
        if el.tag == "node":
            nodes.append((int(el.get("id")), round(float(el.get("lat")) * 1e7), round(float(el.get("lon")) * 1e7),
                          tags))
        elif el.tag == "way":
            ways.append((int(el.get("id")), [int(nd.get("ref")) for nd in el.findall("nd")], tags))
    return sorted(nodes), sorted(ways)


def convert(xml_path: Path, pbf_path: Path) -> None:
    """Write ``pbf_path`` with the nodes and ways of ``xml_path``."""
    nodes, ways = _read(xml_path)
    s = _Strings()
    keys_vals = []
    for _, _, _, tags in nodes:
        for k, v in tags:
            keys_vals += [s(k), s(v)]
        keys_vals.append(0)
    dense = (_packed(1, _delta([n[0] for n in nodes]), signed=True)
             + _packed(8, _delta([n[1] for n in nodes]), signed=True)
             + _packed(9, _delta([n[2] for n in nodes]), signed=True)
             + _packed(10, keys_vals))
    way_msgs = b""
    for way_id, refs, tags in ways:
        msg = (_field_varint(1, way_id) + _packed(2, [s(k) for k, _ in tags]) + _packed(3, [s(v) for _, v in tags])
               + _packed(8, _delta(refs), signed=True))
        way_msgs += _field_bytes(3, msg)
    groups = _field_bytes(2, _field_bytes(2, dense)) + _field_bytes(2, way_msgs)
    table = _field_bytes(1, b"".join(_field_bytes(1, t) for t in s.table))
    block = table + groups + _field_varint(17, 100)
    header = (_field_bytes(4, b"OsmSchema-V0.6") + _field_bytes(4, b"DenseNodes")
              + _field_bytes(16, b"svcov tests/data/make_osm_pbf.py"))
    pbf_path.write_bytes(_blob("OSMHeader", header) + _blob("OSMData", block))


if __name__ == "__main__":  # pragma: no cover
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
