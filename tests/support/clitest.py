"""Shared harness for the CLI tests (tests/test_*.py).

CTest runs each script as: python3 test_x.py --ota PATH/TO/ota --vectors DIR.
A script defines unittest.TestCase classes and calls clitest.main(). Tests that
need ../shared/vectors call self.require_vectors(); when no test could run for
that reason the script exits 77, which CTest reports as skipped.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

OTA = None
VECTORS = None


class CliTest(unittest.TestCase):
    def ota(self, *args, check=None, input=None, cwd=None):
        """Run the CLI; returns CompletedProcess with text stdout/stderr."""
        proc = subprocess.run([OTA, *map(str, args)], capture_output=True, input=input,
                              cwd=cwd, timeout=300)
        proc.stdout_text = proc.stdout.decode("utf-8", "replace")
        proc.stderr_text = proc.stderr.decode("utf-8", "replace")
        if check is not None:
            self.assertEqual(proc.returncode, check,
                             f"ota {' '.join(map(str, args))}\nstdout:\n{proc.stdout_text}\n"
                             f"stderr:\n{proc.stderr_text}")
        return proc

    def require_vectors(self):
        if not VECTORS or not os.path.isfile(os.path.join(VECTORS, "manifest.json")):
            self.skipTest("../shared/vectors is absent")

    def vector(self, rel):
        return os.path.join(VECTORS, rel)

    def manifest(self, rel="manifest.json"):
        with open(self.vector(rel)) as f:
            return json.load(f)

    def tmpdir(self):
        d = tempfile.TemporaryDirectory(prefix="ota-test-")
        self.addCleanup(d.cleanup)
        return d.name


def main():
    global OTA, VECTORS
    ap = argparse.ArgumentParser()
    ap.add_argument("--ota", required=True)
    ap.add_argument("--vectors", default="")
    args, rest = ap.parse_known_args()
    OTA, VECTORS = os.path.abspath(args.ota), args.vectors
    prog = unittest.main(module="__main__", argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    res = prog.result
    if not res.wasSuccessful():
        sys.exit(1)
    if res.testsRun and len(res.skipped) == res.testsRun:
        sys.exit(77)
    sys.exit(0)
