#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made at run time from ../shared/vectors.

    seeds.py --vectors DIR --ota PATH/TO/ota --out OUTDIR

writes OUTDIR/<target>/<name> for every target in SEEDERS, each input in
the format its fuzz/fuzz_<target>.c describes (the vectors are wrapped in the
target's option bytes, not used raw). Without the vectors only the seeds that
need none are made (e.g. images built by `ota image pack`). Nothing here is
committed: the regression corpus in fuzz/regress/ is.
"""
import argparse
import glob
import json
import os
import shutil
import struct
import subprocess
import tempfile

PACK_CHIPS = ["esp32", "esp32s2", "esp32c3", "esp32s3", "esp32c2", "esp32c6", "esp32h2", "esp32p4"]


def files(vectors, *patterns):
    """Vector files matching the patterns (none when vectors is "")."""
    out = []
    if not vectors:
        return out
    for p in patterns:
        out += sorted(glob.glob(os.path.join(vectors, p), recursive=True))
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def partition_seeds(vectors, ota):
    for path in files(vectors, "partition/**/*.bin"):
        yield os.path.basename(path), read(path)


def partcsv_header(args):
    """fuzz_partcsv's option bytes for a vector's gen_esp32part arguments."""
    flags, size = 0, 0
    for i, a in enumerate(args):
        if a == "--flash-size":
            flags, size = flags | 0x10, {1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5, 64: 6, 128: 7}[int(args[i + 1][:-2])]
        flags |= {"--disable-md5sum": 0x04, "--no-verify": 0x08, "--primary-bootloader-offset": 0x20,
                  "--extra-partition-subtypes": 0x40, "--secure": 0x01}.get(a, 0)
    return bytes([flags, size])


def partcsv_seeds(vectors, ota):
    cases = {}
    if vectors:
        with open(os.path.join(vectors, "manifest.json")) as f:
            part = json.load(f)["partition"]
        cases = {c["input_csv"]: c.get("gen_args", []) for g in part.values() if isinstance(g, list)
                 for c in g if "input_csv" in c}
    for path in files(vectors, "partition/**/*.csv", "partition/**/*.bin"):
        rel = os.path.relpath(path, vectors)
        yield os.path.basename(path), partcsv_header(cases.get(rel, [])) + read(path)


def boot_header(flags, layout, op, arg, bad=0, versions=b"\x21\x43\x65\x87" * 2, counter=0):
    return struct.pack("<BBBBBBQ", flags, layout, 0, op, arg, counter, bad) + versions


# (flags, layout): fixed tables with 2 and 4 slots, with and without factory,
# rollback, anti-rollback; then tables from the input (flag 0x20).
BOOT_CONFIGS = [(0x00, 0x22), (0x00, 0x04), (0x01, 0x22), (0x01, 0x04), (0x03, 0x62), (0x08, 0x22)]
BOOT_TABLES = {0x22: "p02_factory_two_ota.bin", 0x04: "p03_no_factory_four_ota.bin"}


def boot_seeds(vectors, ota):
    for i, path in enumerate(files(vectors, "otadata/*.bin")):
        od, name = read(path), os.path.basename(path)[:-4]
        for k, (flags, layout) in enumerate(BOOT_CONFIGS):
            yield f"{name}_c{k}", boot_header(flags, layout, (i + k) % 9, i) + od
        for layout, table in BOOT_TABLES.items():
            tpath = os.path.join(vectors, "partition", "valid", table)
            yield f"{name}_t{layout:02x}", boot_header(0x21, 0, i % 9, i) + read(tpath) + od


def packed_images(ota):
    """Small valid apps for every chip family, with and without the SHA-256."""
    if not ota:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for chip in PACK_CHIPS:
            for extra in ([], ["--no-hash"]):
                out = os.path.join(tmp, "x.bin")
                subprocess.run([ota, "image", "pack", "-o", out, "--chip", chip, "--project", "seed",
                                "--version", "1", "--size", "1024", *extra],
                               check=True, capture_output=True)
                yield f"pack_{chip}{'_nohash' if extra else ''}", read(out)


def image_seeds(vectors, ota):
    images = [(os.path.basename(p)[:-4], read(p))
              for p in files(vectors, "image/**/*.bin", "signed/inputs/*.bin")]
    for name, data in images + list(packed_images(ota)):
        boot = "bootloader" in name
        # data length known; for bootloaders also as BOOTLOADER; and FORMAT
        yield f"{name}_app", bytes([0x09 if boot else 0x08, 0, 1]) + b"\0" * 6 + data
        yield f"{name}_format", bytes([0x0A, 0xFF, 0]) + b"\0" * 6 + data
    # Signed images: verify the sector, trusting the key of the first block
    for path in files(vectors, "signed/valid/*.bin", "signed/multi/*.bin", "signed/negative/*.bin"):
        yield os.path.basename(path)[:-4] + "_sig", bytes([0x08, 0, 1]) + b"\0" * 5 + b"\x03" + read(path)


UPDATE_FLAGS = [0x00, 0x21, 0x2A, 0x84, 0x40, 0x31]
OTADATA_ENTRIES = [b"\xff" * 32, struct.pack("<I", 1) + b"\xff" * 20 + struct.pack("<II", 2, 0x4743989A)]


def update_seeds(vectors, ota):
    images = [(os.path.basename(p)[:-4], read(p)) for p in files(vectors, "image/valid/*.bin")]
    for name, data in images + list(packed_images(ota)):
        if len(data) > 0x10000:
            continue
        for i, flags in enumerate(UPDATE_FLAGS):
            header = struct.pack("<BBHB", flags, i, len(data) // 4 + 1, i)
            yield f"{name}_{i}", header + OTADATA_ENTRIES[i % 2] + data


HTTP_RESPONSES = [
    "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"v1-abc\"\r\n"
    "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n",
    "HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-1233/1234\r\nContent-Length: 1134\r\n"
    "ETag: W/\"weak\"\r\n\r\n",
    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */1234\r\n\r\n",
    "HTTP/2 200\r\ncontent-length: 18446744073709551615\r\ncontent-length: 7\r\n\r\n",
]


def http_seeds(vectors, ota):
    for i, text in enumerate(HTTP_RESPONSES):
        yield f"headers_{i}", b"\0" + text.encode()
    # A progress record (net/record.c layout) whose check hash the target fixes up.
    etag = b'"v1-abc"'.ljust(128, b"\0")
    lm = b"Wed, 21 Oct 2015 07:28:00 GMT".ljust(64, b"\0")
    rec = b"OTAN" + struct.pack("<I", 1) + bytes(32) + struct.pack("<QQ", 1234, 512) + bytes(32) + etag + lm
    yield "record", b"\x01\x01" + rec + bytes(32)


SEEDERS = {
    "fuzz_partition": partition_seeds,
    "fuzz_boot": boot_seeds,
    "fuzz_image": image_seeds,
    "fuzz_partcsv": partcsv_seeds,
    "fuzz_http": http_seeds,
    "fuzz_update": update_seeds,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", default="")
    ap.add_argument("--ota", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    vectors = args.vectors if os.path.isfile(os.path.join(args.vectors, "manifest.json")) else ""
    if not vectors:
        print("seeds: ../shared/vectors absent, only seeds that need no vectors")
    for target, seeder in SEEDERS.items():
        d = os.path.join(args.out, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        n = 0
        for name, data in seeder(vectors, args.ota):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            n += 1
        print(f"seeds: {target}: {n}")


if __name__ == "__main__":
    main()
