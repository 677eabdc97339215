#!/usr/bin/env python3
"""Writes the two hostile .keras archives of issue 14, for measuring the archive reader by hand
(they are large, so they are not committed and no test reads them):

  bomb_1g.keras  5.4 MB: model.weights.h5 is a DEFLATE stream of 1 GiB of zeros (about 1 MB)
                 padded with random junk to 5.4 MB, so its declared sizes look like a 199:1 ratio.
  bomb_4g.keras  21.5 MB: the same with 4 GiB of zeros (declared through ZIP64).

Both carry a real config.json and metadata.json (from Conformance/cases/k3_gru/model.keras), so a
reader gets as far as the weights. Only the standard library is used.

Usage: Tools/make_zip_bombs.py [OUTDIR]   (default: the current directory)
Then:  /usr/bin/time -v kconv summary OUTDIR/bomb_1g.keras
"""
import os
import struct
import sys
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "Conformance", "cases", "k3_gru", "model.keras")
CHUNK = 1 << 24


def deflated_zeros(size):
    """The raw DEFLATE stream of `size` zero bytes and their CRC-32, made a chunk at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(CHUNK)
    parts, crc, left = [], 0, size
    while left:
        n = min(CHUNK, left)
        block = zeros if n == CHUNK else bytes(n)
        parts.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
        left -= n
    parts.append(compressor.flush())
    return b"".join(parts), crc


def member(name, data, crc, uncompressed, method):
    """A local header with the data, and the member's central directory entry."""
    zip64 = uncompressed >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
    extra = struct.pack("<HHQQ", 1, 16, uncompressed, len(data)) if zip64 else b""
    sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (len(data), uncompressed)
    version = 45 if zip64 else 20
    raw = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, 0, 0x21, crc, *sizes, len(raw), len(extra))
    def central(offset):
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, version, 0, method, 0, 0x21, crc, *sizes,
                           len(raw), len(extra), 0, 0, 0, 0, offset) + raw + extra
    return local + raw + extra + data, central


def write_bomb(path, zeros, total):
    with zipfile.ZipFile(SOURCE) as source:
        config, metadata = source.read("config.json"), source.read("metadata.json")
    stream, crc = deflated_zeros(zeros)
    members = [
        member("config.json", config, zlib.crc32(config), len(config), 0),
        member("metadata.json", metadata, zlib.crc32(metadata), len(metadata), 0),
    ]
    head = sum(len(local) for local, _ in members)
    # Pad the stream with junk so the whole file is `total` bytes.
    overhead = head + 2 * (30 + 46 + 2 * len("model.weights.h5") + 2 * 20) + 22
    padded = stream + os.urandom(max(0, total - overhead - len(stream)))
    members.append(member("model.weights.h5", padded, crc, zeros, 8))
    body, directory = b"", b""
    for local, central in members:
        directory += central(len(body))
        body += local
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0)
    with open(path, "wb") as out:
        out.write(body + directory + end)
    print(f"{path}: {os.path.getsize(path)} bytes; model.weights.h5 declares {zeros} bytes from "
          f"{len(padded)} (a {zeros / len(padded):.1f}:1 ratio); its DEFLATE stream is {len(stream)} bytes "
          f"(really {zeros / len(stream):.0f}:1)")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(outdir, exist_ok=True)
    write_bomb(os.path.join(outdir, "bomb_1g.keras"), 1 << 30, 5_400_000)
    write_bomb(os.path.join(outdir, "bomb_4g.keras"), 1 << 32, 21_500_000)


if __name__ == "__main__":
    main()
