"""`ota part` against gen_esp32part.py's own outputs (../shared/vectors/partition)."""
import hashlib
import json
import os
import subprocess

import clitest

STATUS_LINES = ("Parsing CSV input...", "Verifying table...", "Parsing binary partition input...")

# ESP-IDF's gen_esp32part_tests.py LONGER_BINARY_TABLE (CommandLineTests.test_basic_cmdline)
LONGER_BINARY_TABLE = (
    b"\xaa\x50\x00\x00" + b"\x00\x00\x01\x00" + b"\x00\x00\x10\x00" + b"factory\0" + b"\0" * 8 + b"\0" * 4
    + b"\xaa\x50\x01\x20" + b"\x00\x00\x11\x00" + b"\x00\x02\x00\x00" + b"data" + b"\0" * 12 + b"\0" * 4
    + b"\xaa\x50\x10\x00" + b"\x00\x00\x15\x00" + b"\x00\x10\x00\x00" + b"second" + b"\0" * 10 + b"\0" * 4
    + b"\xeb\xeb" + b"\xff" * 14 + bytes.fromhex("f9bd061b45686f86571a2cd52a1da65b")
    + b"\xff" * 32)


def without_status(text):
    return "".join(l for l in text.splitlines(keepends=True) if l.rstrip("\n") not in STATUS_LINES)


def without_flash_size(args):
    """The roundtrip commands of the manifest drop --flash-size."""
    out = list(args)
    if "--flash-size" in out:
        i = out.index("--flash-size")
        del out[i:i + 2]
    return out


class PartCli(clitest.CliTest):
    def read(self, rel, mode="rb"):
        with open(self.vector(rel), mode) as f:
            return f.read()

    def json_entries(self, *args):
        r = self.ota("part", "--json", *args, check=0)
        return json.loads(r.stdout_text)["entries"]

    def convert(self, gen_args, src, out_name):
        """ota part GEN_ARGS -- SRC OUT, as ESP-IDF's build calls gen_esp32part."""
        out = os.path.join(self.tmpdir(), out_name)
        r = self.ota("part", *gen_args, "--", src, out)
        self.assertEqual(r.returncode, 0, r.stderr_text)
        with open(out, "rb") as f:
            return f.read(), r

    def assert_refused(self, args, src, expected_stderr, out_name):
        d = self.tmpdir()
        out = os.path.join(d, out_name)
        r = self.ota("part", *args, "--", src, out)
        self.assertEqual(r.returncode, 2, r.stderr_text)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(os.listdir(d), [], "no output (or temporary) file may be left")
        self.assertEqual(r.stderr_text, expected_stderr)
        return r


class ValidVectors(PartCli):
    def setUp(self):
        self.require_vectors()
        self.cases = self.manifest()["partition"]["valid"]

    def test_csv_to_binary_is_byte_identical(self):
        for c in self.cases:
            with self.subTest(c["id"]):
                data, r = self.convert(c["gen_args"], self.vector(c["input_csv"]), "out.bin")
                self.assertEqual(data, self.read(c["output_bin"]))
                self.assertEqual(len(data), c["output_bin_size"])
                self.assertEqual(hashlib.sha256(data).hexdigest(), c["output_bin_sha256"])
                self.assertEqual(without_status(r.stderr_text), c["stderr_warnings"] or "")
                self.assertEqual(r.stderr_text, "Parsing CSV input...\nVerifying table...\n")

    def test_binary_to_csv_equals_roundtrip_csv(self):
        for c in self.cases:
            with self.subTest(c["id"]):
                data, r = self.convert(without_flash_size(c["gen_args"]), self.vector(c["output_bin"]), "out.csv")
                self.assertEqual(data, self.read(c["roundtrip_csv"]))
                self.assertEqual(r.stderr_text, "Parsing binary partition input...\nVerifying table...\n")

    def test_roundtrip_csv_regenerates_the_binary(self):
        for c in self.cases:
            with self.subTest(c["id"]):
                self.assertTrue(c["roundtrip_csv_regenerates_identical_bin"])
                data, _ = self.convert(c["gen_args"], self.vector(c["roundtrip_csv"]), "out.bin")
                self.assertEqual(data, self.read(c["output_bin"]))

    def test_json_entries_equal_manifest(self):
        for c in self.cases:
            with self.subTest(c["id"]):
                self.assertEqual(self.json_entries(*c["gen_args"], "--", self.vector(c["input_csv"])),
                                 c["entries"])
                self.assertEqual(self.json_entries(*without_flash_size(c["gen_args"]), "--",
                                                   self.vector(c["output_bin"])), c["entries"])

    def test_md5_entry_as_manifest(self):
        for c in self.cases:
            with self.subTest(c["id"]):
                data = self.read(c["output_bin"])
                md5 = c["md5"]
                if md5 is None:
                    self.assertIn("--disable-md5sum", c["gen_args"])
                    self.assertEqual(data[len(c["entries"]) * 32:], b"\xff" * (3072 - len(c["entries"]) * 32))
                    continue
                at = md5["entry_index"] * 32
                self.assertEqual(data[at:at + 2], b"\xeb\xeb")
                self.assertEqual(data[at + 16:at + 32].hex(), md5["stored"])


class InvalidVectors(PartCli):
    def setUp(self):
        self.require_vectors()
        self.partition = self.manifest()["partition"]

    def test_invalid_csv_full_stderr(self):
        for c in self.partition["invalid"]:
            with self.subTest(c["id"]):
                self.assertEqual(c["exit_code"], 2)
                expected = self.read(c["stderr_file"], "r")
                self.assert_refused(c["gen_args"], self.vector(c["input_csv"]), expected, "out.bin")
                self.assertEqual(expected.rstrip("\n").split("\n")[-len(c["error_message"].split("\n")):],
                                 c["error_message"].split("\n"))

    def test_invalid_csv_quiet_stderr(self):
        for c in self.partition["invalid"]:
            with self.subTest(c["id"]):
                self.assert_refused(["-q", *c["gen_args"]], self.vector(c["input_csv"]),
                                    c["stderr_without_status_lines"] + "\n", "out.bin")

    def test_invalid_binary(self):
        for c in self.partition["invalid_binary"]:
            with self.subTest(c["id"]):
                self.assertEqual(c["exit_code"], 2)
                self.assert_refused([], self.vector(c["input_bin"]), self.read(c["stderr_file"], "r"), "out.csv")
                self.assert_refused(["-q"], self.vector(c["input_bin"]), c["error_message"] + "\n", "out.csv")

    def test_existing_output_is_kept_on_error(self):
        c = self.partition["invalid"][0]
        d = self.tmpdir()
        out = os.path.join(d, "keep.bin")
        with open(out, "wb") as f:
            f.write(b"old")
        self.ota("part", self.vector(c["input_csv"]), out, check=2)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"old")
        self.assertEqual(os.listdir(d), ["keep.bin"])


class IdfData(PartCli):
    def setUp(self):
        self.require_vectors()
        self.partition = self.manifest()["partition"]

    def test_idf_builtin_tables(self):
        for c in self.partition["idf_builtin"]:
            with self.subTest(c["id"]):
                data, r = self.convert(c["gen_args"], self.vector(c["input_csv"]), "out.bin")
                self.assertEqual(r.stderr_text, "")  # gen_args include -q
                self.assertEqual(data, self.read(c["output_bin"]))
                self.assertEqual(hashlib.sha256(data).hexdigest(), c["output_bin_sha256"])
                csv, _ = self.convert(without_flash_size(c["gen_args"]), self.vector(c["output_bin"]), "out.csv")
                self.assertEqual(csv, self.read(c["roundtrip_csv"]))
                self.assertEqual(self.json_entries(*c["gen_args"], "--", self.vector(c["input_csv"])), c["entries"])

    def test_idf_testdata(self):
        testdata = self.partition["idf_testdata"]
        for c in testdata:
            with self.subTest(c["file"]):
                self.assertEqual(hashlib.sha256(self.read(c["file"])).hexdigest(), c["sha256"])
                self.assertEqual(c["exit_code"], 0)
                if c["file"].endswith(".bin"):
                    r = self.ota("part", self.vector(c["file"]), check=0)
                    self.assertEqual(r.stdout_text, c["gen_esp32part_csv_output"])
                    self.assertEqual(self.json_entries(self.vector(c["file"])), c["entries"])
                else:
                    r = self.ota("part", self.vector(c["file"]), check=0)
                    self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), c["gen_esp32part_bin_output_sha256"])
                    same = r.stdout == self.read("partition/idf_testdata/partitions.bin")
                    self.assertEqual(same, c["identical_to_partitions_bin"])


class CommandLine(PartCli):
    def write(self, name, data):
        path = os.path.join(self.tmpdir(), name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return path

    def test_basic_cmdline_round_trip(self):
        """ESP-IDF CommandLineTests.test_basic_cmdline: binary -> CSV -> binary, no warnings."""
        d = self.tmpdir()
        binpath, csvpath = os.path.join(d, "t.bin"), os.path.join(d, "t.csv")
        with open(binpath, "wb") as f:
            f.write(LONGER_BINARY_TABLE)
        r = self.ota("part", binpath, csvpath, check=0)
        self.assertNotIn("WARNING", r.stderr_text)
        r = self.ota("part", csvpath, binpath, check=0)
        self.assertNotIn("WARNING", r.stderr_text)
        with open(binpath, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), 0xC00)
        self.assertEqual(data[:len(LONGER_BINARY_TABLE)], LONGER_BINARY_TABLE)
        self.assertEqual(data[len(LONGER_BINARY_TABLE):], b"\xff" * (0xC00 - len(LONGER_BINARY_TABLE)))

    def test_stdout_when_out_omitted_or_dash(self):
        src = self.write("t.csv", "nvs, data, nvs, , 0x6000\nfactory, app, factory, , 1M\n")
        a = self.ota("part", "-q", src, check=0)
        b = self.ota("part", "-q", src, "-", check=0)
        self.assertEqual(len(a.stdout), 0xC00)
        self.assertEqual(a.stdout, b.stdout)
        self.assertEqual(a.stderr, b"")
        self.assertEqual(a.stdout[:2], b"\xaa\x50")
        out = os.path.join(self.tmpdir(), "t.bin")
        j = self.ota("part", "-q", "--json", src, out, check=0)
        self.assertEqual([e["name"] for e in json.loads(j.stdout_text)["entries"]], ["nvs", "factory"])
        with open(out, "rb") as f:
            self.assertEqual(f.read(), a.stdout)

    def test_warnings_do_not_fail(self):
        src = self.write("t.csv", "app, 1, 2, 0x9000, 1M\n")
        r = self.ota("part", "-q", src, check=0)
        self.assertEqual(r.stderr_text,
                         "WARNING: Partition has name 'app' which is a partition type, but does not match this "
                         "partition's type (0x1). Mistake in partition table?\n")

    def test_extra_subtypes_without_double_dash_and_bare_secure(self):
        src = self.write("t.csv", "custom, data, my_sub, 0x10000, 64K\nfactory, app, factory, , 0x10000\n")
        r = self.ota("part", "-q", "--extra-partition-subtypes", "data,my_sub,0x41", "data,two,42", src,
                     "--secure", check=0)
        self.assertEqual(r.stdout[:4], b"\xaa\x50\x01\x41")
        r = self.ota("part", "-q", "--secure", src, check=2)
        self.assertTrue(r.stderr_text.startswith("Error at line 1: Value 'my_sub' is not valid."))

    def test_status_lines_and_environment(self):
        src = self.write("t.csv", "nvs, data, nvs, , $OTA_TEST_NVS_SIZE\n")
        env = dict(os.environ, OTA_TEST_NVS_SIZE="24K")
        r = subprocess.run([clitest.OTA, "part", "--json", src], capture_output=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"Parsing CSV input...\nVerifying table...\n")
        self.assertEqual(json.loads(r.stdout)["entries"][0]["size"], 24 * 1024)

    def test_usage_errors(self):
        src = self.write("t.csv", "factory, app, factory, , 1M\n")
        for args, text in [((), "missing input file"),
                           (("--bogus", src), "unknown option '--bogus'"),
                           (("--flash-size", "3MB", src), "--flash-size: invalid choice '3MB'"),
                           (("--offset", "zz", src), "--offset: invalid offset 'zz'"),
                           (("--json", src, "-"), "--json already uses standard output"),
                           ((src, "a", "b"), "unexpected argument 'b'"),
                           (("/nonexistent/x.csv",), "cannot open '/nonexistent/x.csv'")]:
            with self.subTest(args):
                r = self.ota("part", *args, check=2)
                self.assertEqual(r.stderr_text.count("\n"), 1)
                self.assertTrue(r.stderr_text.startswith("ota: error: "), r.stderr_text)
                self.assertIn(text, r.stderr_text)

    def test_bootloader_offset_must_be_below_table(self):
        src = self.write("t.csv", "factory, app, factory, , 1M\n")
        r = self.ota("part", "--primary-bootloader-offset", "0x8000", src, check=2)
        self.assertEqual(r.stderr_text, "Unsupported configuration. Primary bootloader must be below partition "
                                        "table. Check --primary-bootloader-offset=0x8000 and --offset=0x8000\n")

    def test_help(self):
        r = self.ota("part", "--help", check=0)
        self.assertIn("usage: ota part [OPTIONS] IN [OUT]", r.stdout_text)
        self.assertIn("part", self.ota("--help", check=0).stdout_text)


if __name__ == "__main__":
    clitest.main()
