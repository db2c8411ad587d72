#!/usr/bin/env python3
"""Recreate the embedded Fashion-MNIST sample in this folder from the full data set.

The sample is the FIRST 2,000 training images and labels and the FIRST 500 test images and
labels, written as gzipped IDX files in the same format as the originals, with the item count
in each header set to 2000 or 500.

Usage:  python3 make-sample.py [SOURCE_DIR]
SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian: apt-get install
dataset-fashion-mnist). The output is byte-for-byte reproducible (gzip level 9, mtime 0,
no file name in the gzip header).
"""
import gzip
import os
import struct
import sys

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = [  # (name, magic, number of items to keep)
    ("train-images-idx3-ubyte.gz", 0x00000803, 2000),
    ("train-labels-idx1-ubyte.gz", 0x00000801, 2000),
    ("t10k-images-idx3-ubyte.gz", 0x00000803, 500),
    ("t10k-labels-idx1-ubyte.gz", 0x00000801, 500),
]

for name, magic, keep in FILES:
    with gzip.open(os.path.join(SOURCE, name), "rb") as f:
        data = f.read()
    dims = data[3]                      # IDX: 0, 0, type (0x08 = ubyte), number of dimensions
    header = struct.unpack(">" + "I" * (1 + dims), data[: 4 * (1 + dims)])
    if header[0] != magic:
        sys.exit(f"{name}: magic 0x{header[0]:08x}, expected 0x{magic:08x}")
    count, item_dims = header[1], header[2:]
    if count < keep:
        sys.exit(f"{name}: has {count} items, fewer than {keep}")
    item_size = 1
    for d in item_dims:
        item_size *= d
    body = data[4 * (1 + dims): 4 * (1 + dims) + keep * item_size]
    out = struct.pack(">" + "I" * (1 + dims), magic, keep, *item_dims) + body
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(gzip.compress(out, compresslevel=9, mtime=0))
    print(f"{name}: {keep} of {count} items, {os.path.getsize(os.path.join(HERE, name))} bytes")
