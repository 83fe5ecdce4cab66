#!/usr/bin/env python3
"""Rewrites a GGUF's metadata, keeping its tensors byte for byte: the e2e
tests' way to make GGUFs that the committed ones are not (another
architecture, an LFM2 model with another kind of vocabulary) without the
`gguf` package, which CI does not have.

  gguf_edit.py IN OUT [--arch NAME] [--kv-from FILE PREFIX]...

--arch sets general.architecture; --kv-from takes every key of FILE that
starts with PREFIX (replacing IN's keys with that prefix).
"""
import argparse
import struct
import sys

# Sizes of the fixed-size GGUF value types (gguf.h's gguf_type).
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            sys.exit("gguf_edit.py: truncated GGUF")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def string(self):
        return self.take(self.u64())

    def skip_value(self, kind):
        if kind in SCALAR:
            self.take(SCALAR[kind])
        elif kind == STRING:
            self.string()
        elif kind == ARRAY:
            element, count = self.u32(), self.u64()
            for _ in range(count):
                self.skip_value(element)
        else:
            sys.exit(f"gguf_edit.py: unknown value type {kind}")


def parse(path):
    """(version, [(key, raw type+value)], raw tensor infos, n_tensors, data)."""
    data = open(path, "rb").read()
    r = Reader(data)
    if r.take(4) != b"GGUF":
        sys.exit(f"gguf_edit.py: {path} is not a GGUF")
    version, n_tensors, n_kv = r.u32(), r.u64(), r.u64()
    kvs, alignment = [], 32
    for _ in range(n_kv):
        key = r.string().decode()
        start = r.pos
        kind = r.u32()
        r.skip_value(kind)
        kvs.append((key, data[start:r.pos]))
        if key == "general.alignment":
            alignment = struct.unpack("<I", data[start + 4:start + 8])[0]
    start = r.pos
    for _ in range(n_tensors):
        r.string()
        r.take(8 * r.u32())
        r.u32()
        r.u64()
    infos = data[start:r.pos]
    data_start = (r.pos + alignment - 1) // alignment * alignment
    return version, kvs, infos, n_tensors, alignment, data[data_start:]


def string_value(text):
    raw = text.encode()
    return struct.pack("<IQ", STRING, len(raw)) + raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--arch")
    ap.add_argument("--kv-from", nargs=2, action="append", default=[], metavar=("FILE", "PREFIX"))
    a = ap.parse_args()
    version, kvs, infos, n_tensors, alignment, body = parse(a.input)
    kvs = dict(kvs)
    if a.arch:
        kvs["general.architecture"] = string_value(a.arch)
    for path, prefix in a.kv_from:
        kvs = {k: v for k, v in kvs.items() if not k.startswith(prefix)}
        kvs.update((k, v) for k, v in parse(path)[1] if k.startswith(prefix))
    out = bytearray(b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kvs)))
    for key, value in kvs.items():
        raw = key.encode()
        out += struct.pack("<Q", len(raw)) + raw + value
    out += infos
    out += b"\0" * (-len(out) % alignment)
    out += body
    open(a.output, "wb").write(out)


if __name__ == "__main__":
    main()
