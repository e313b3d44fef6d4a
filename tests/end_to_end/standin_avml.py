"""A stand-in for AVML in the lab's local-execution mode: it writes a known byte stream to the file its
first argument names (the module runs it as ``avml /dev/stdout``), like AVML writing a LiME image. The tests upload it
with a ``#!/usr/bin/env python3`` line in front, so the host can execute it.

The stream is LENGTH bytes, two full 8 MiB parts and part of a third at the part size the module picks
for a t3.micro (1 GiB of memory), so the upload has several parts and a short last one.
"""
import hashlib
import sys

MIB = 1024 * 1024
LENGTH = 2 * 8 * MIB + 3 * MIB + 12345
_BLOCK = 64 * 1024


def stream():
    """The bytes, block by block: each 64 KiB block repeats the SHA-256 of its own number."""
    for number in range(0, LENGTH, _BLOCK):
        block = hashlib.sha256(b"aws-ir-lab-memory-%d" % number).digest() * (_BLOCK // 32)
        yield block[:min(_BLOCK, LENGTH - number)]


def sha256():
    digest = hashlib.sha256()
    for block in stream():
        digest.update(block)
    return digest.hexdigest()


def main(path):
    with open(path, "wb") as image:
        for block in stream():
            image.write(block)
    sys.stderr.write("stand-in avml: wrote %d bytes\n" % LENGTH)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
