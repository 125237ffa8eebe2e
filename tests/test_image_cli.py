"""`ota image info|verify|pack`.

Vectors: every image in manifest.json verifies or fails exactly as the ESP-IDF
verification model says, and `info --json` reports the layout, checksum,
SHA-256 and descriptor the manifest records (or, for damaged images, what
esptool image-info printed). Packed images are checked by an independent
parser written here from spec §4, not only by our own verifier.
"""
import hashlib
import json
import os
import re
import struct

import clitest

# failed_check of the ESP-IDF model -> the description of our error code.
FAILED_CHECK_TEXT = {
    "magic": "image: invalid magic byte",
    "chip_id": "image: chip id mismatch",
    "segment_count": "image: too many segments",
    "segment_length": "image: invalid segment length",
    "segment0_too_short": "image: segment 0 shorter than the app descriptor",
    "app_desc_magic": "image: no app descriptor",
    "segment_map_alignment": "image: mapped segment not aligned to MMU page",
    "truncated": "image: truncated",
    "checksum": "image: checksum mismatch",
    "sha256": "image: SHA-256 mismatch",
}

ALL_CHIPS = ["esp32", "esp32s2", "esp32c3", "esp32s3", "esp32c2", "esp32c6", "esp32h2",
             "esp32p4", "esp32c61", "esp32c5", "esp32h21", "esp32h4", "esp32s31"]


def xor_checksum(data):
    c = 0xEF
    for b in data:
        c ^= b
    return c


def parse_image(data):
    """Spec §4.1-§4.3, independently of the C code."""
    assert data[0] == 0xE9, "magic"
    pos, segs, cks = 24, [], 0xEF
    for _ in range(data[1]):
        addr, ln = struct.unpack_from("<II", data, pos)
        pos += 8
        segs.append({"addr": addr, "len": ln, "data_offset": pos, "data": data[pos:pos + ln]})
        cks ^= xor_checksum(data[pos:pos + ln]) ^ 0xEF
        pos += ln
    ck_off = pos | 15
    out = {"segments": segs, "checksum_ok": data[ck_off] == cks, "checksum_offset": ck_off,
           "hash_appended": data[23], "image_len": ck_off + 1 + (32 if data[23] else 0)}
    if data[23]:
        out["hash_ok"] = hashlib.sha256(data[:ck_off + 1]).digest() == data[ck_off + 1:ck_off + 33]
    return out


def app_desc_fields(raw):
    def s(a, b):
        return raw[a:b].split(b"\0")[0].decode()
    return {"magic": struct.unpack_from("<I", raw, 0)[0], "secure_version": struct.unpack_from("<I", raw, 4)[0],
            "version": s(16, 48), "project_name": s(48, 80), "time": s(80, 96), "date": s(96, 112),
            "idf_ver": s(112, 144), "mmu_page_size_log2": raw[180], "spi_flash_mode": raw[181]}


class Vectors(clitest.CliTest):
    def cases(self, groups=("valid", "corrupt", "prebuilt")):
        self.require_vectors()
        image = self.manifest()["image"]
        return [c for g in groups for c in image[g]]

    def one_error_line(self, r):
        lines = r.stderr_text.splitlines()
        self.assertEqual(len(lines), 1, r.stderr_text)
        self.assertTrue(lines[0].startswith("ota: error: "), lines[0])
        return lines[0]

    def check_detail(self, check, log, line):
        """The values ESP-IDF's log names also appear in our line."""
        if check == "checksum":
            calc, read = re.match(r"Checksum failed\. Calculated (0x\w+) read (0x\w+)", log).groups()
            self.assertIn(f"calculated {calc}, read {read}", line)
        elif check == "truncated" and log.startswith("segment"):
            self.assertIn(log, line)
        elif check == "truncated":
            self.assertIn("appended SHA-256", line)
        elif check == "chip_id":
            expected, found = re.search(r"expected (\d+), found (\d+)", log).groups()
            self.assertIn(f"chip id {found} ", line)
            self.assertIn(f"expected {expected} ", line)
        elif check in ("segment_length", "segment0_too_short"):
            self.assertIn("length " + re.search(r"length (0x\w+)", log).group(1), line)
        elif check == "segment_count":
            self.assertIn("segment count 17 exceeds max 16", line)

    def test_verify_matches_idf_model(self):
        cases = self.cases()
        self.assertGreaterEqual(len(cases), 43)
        for case in cases:
            with self.subTest(case=case["id"]):
                args = ["image", "verify", self.vector(case["file"]), "--chip", case["chip"]]
                if case.get("is_bootloader_image"):
                    args.append("--bootloader")
                model = case["idf_verify_model"]
                if model["result"] == "ESP_OK":
                    r = self.ota(*args, check=0)
                    self.assertIn(f", {model['image_len']} bytes", r.stdout_text)
                    continue
                r = self.ota(*args, check=1)
                line = self.one_error_line(r)
                self.assertIn(FAILED_CHECK_TEXT[model["failed_check"]], line)
                self.check_detail(model["failed_check"], model["log"], line)

    def test_wrong_chip_detected_only_when_asked(self):
        case = next(c for c in self.cases(("corrupt",)) if c["idf_verify_model"]["failed_check"] == "chip_id")
        # Without --chip the changed header byte is still caught, by the SHA-256.
        r = self.ota("image", "verify", self.vector(case["file"]), check=1)
        self.assertIn("image: SHA-256 mismatch", self.one_error_line(r))

    def info_json(self, path, check=0):
        r = self.ota("image", "info", path, "--json", check=check)
        return json.loads(r.stdout_text) if check == 0 else r

    def test_info_json_matches_manifest_layout(self):
        for case in self.cases(("valid", "prebuilt")):
            with self.subTest(case=case["id"]):
                lay = case["layout"]
                j = self.info_json(self.vector(case["file"]))
                self.assertEqual(j["result"], "OTA_OK")
                for key, value in lay["header"].items():
                    self.assertEqual(j["header"][key], value, key)
                keys = ("index", "load_addr", "data_len", "header_offset", "data_offset")
                self.assertEqual([{k: s[k] for k in keys} for s in j["segments"]],
                                 [{k: s[k] for k in keys} for s in lay["segments"]])
                self.assertEqual(j["image_len"], lay["image_len"])
                self.assertEqual(j["checksum"]["offset"], lay["checksum_offset"])
                self.assertEqual(j["checksum"]["stored"], lay["checksum_stored"])
                self.assertEqual(j["checksum"]["calculated"], lay["checksum_calculated"])
                if "sha256_offset" in lay:
                    self.assertEqual(j["sha256"]["offset"], lay["sha256_offset"])
                    self.assertEqual(j["sha256"]["stored"], lay["sha256_stored"])
                    self.assertEqual(j["sha256"]["calculated"], lay["sha256_calculated"])
                    self.assertTrue(j["sha256"]["valid"])
                else:
                    self.assertIsNone(j["sha256"]["stored"])
                if lay["app_desc"] is None:
                    self.assertIsNone(j["app_desc"])
                else:
                    for key, value in lay["app_desc"].items():
                        if key != "raw_hex":
                            self.assertEqual(j["app_desc"][key], value, key)

    def test_info_on_damaged_images_matches_esptool(self):
        for case in self.cases(("corrupt",)):
            with self.subTest(case=case["id"]):
                verdict = case["esptool_verdict"]
                # esptool reads a missing appended digest as an empty, "invalid"
                # one; we report it as truncation, as the ESP-IDF model does.
                readable = (case["image_info_exit_code"] == 0
                            and case["idf_verify_model"]["failed_check"] != "truncated")
                if not readable:
                    self.one_error_line(self.info_json(self.vector(case["file"]), check=2))
                    continue
                j = self.info_json(self.vector(case["file"]))
                ck = j["checksum"]
                want = "valid" if ck["valid"] else f"invalid - calculated 0x{ck['calculated']:02x}"
                self.assertEqual(want, verdict["checksum"])
                if "validation_hash" in verdict:
                    self.assertEqual("valid" if j["sha256"]["valid"] else "invalid", verdict["validation_hash"])
                    printed = [l for l in verdict["error_or_warning_lines"] if l.startswith("Validation hash:")]
                    if printed:  # esptool prints the calculated digest
                        self.assertIn(j["sha256"]["calculated"], printed[0])

    def test_info_text_names_the_descriptor(self):
        case = next(c for c in self.cases(("prebuilt",)) if c["layout"]["app_desc"])
        r = self.ota("image", "info", self.vector(case["file"]), check=0)
        self.assertIn("Project name: " + case["layout"]["app_desc"]["project_name"], r.stdout_text)
        self.assertIn("Checksum: 0x%02x (valid)" % case["layout"]["checksum_stored"], r.stdout_text)


class Pack(clitest.CliTest):
    def pack(self, *args, check=0):
        out = os.path.join(self.tmpdir(), "app.bin")
        r = self.ota("image", "pack", "-o", out, *args, check=check)
        if check != 0:
            return r, out
        with open(out, "rb") as f:
            return f.read(), out

    def write(self, name, data):
        path = os.path.join(self.tmpdir(), name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def base_args(self, chip="esp32c3", version="1.0.0"):
        return ["--chip", chip, "--project", "demo", "--version", version]

    def test_every_chip_packs_a_verifiable_app(self):
        for chip in ALL_CHIPS:
            with self.subTest(chip=chip):
                data, path = self.pack(*self.base_args(chip), "--size", "4096")
                self.ota("image", "verify", path, "--chip", chip, check=0)
                img = parse_image(data)
                self.assertTrue(img["checksum_ok"])
                self.assertTrue(img["hash_ok"])
                self.assertEqual(img["image_len"], len(data))
                self.assertEqual(img["segments"][0]["data_offset"], 0x20)
                desc = app_desc_fields(data[0x20:0x120])
                self.assertEqual(desc["magic"], 0xABCD5432)
                self.assertEqual((desc["project_name"], desc["version"], desc["idf_ver"]),
                                 ("demo", "1.0.0", "libota"))

    def test_descriptor_and_header_fields(self):
        data, path = self.pack(*self.base_args("esp32s3", "v2.3"), "--secure-version", "7",
                               "--flash-mode", "dio", "--flash-size", "4MB", "--date", "Jan  1 2026",
                               "--time", "12:00:00", "--min-rev-full", "1", "--max-rev-full", "199")
        desc = app_desc_fields(data[0x20:0x120])
        self.assertEqual(desc["secure_version"], 7)
        self.assertEqual(desc["spi_flash_mode"], 3)  # descriptor numbering: DIO = 3
        self.assertEqual((desc["date"], desc["time"]), ("Jan  1 2026", "12:00:00"))
        self.assertEqual((data[2], data[3] >> 4), (2, 2))  # header: DIO = 2, 4MB = 2
        self.assertEqual(struct.unpack_from("<HBHH", data, 12), (9, 0, 1, 199))
        j = json.loads(self.ota("image", "info", path, "--json", check=0).stdout_text)
        self.assertEqual(j["app_desc"]["secure_version"], 7)
        self.assertEqual(j["app_desc"]["version"], "v2.3")

    def test_output_is_deterministic(self):
        a, _ = self.pack(*self.base_args(), "--size", "20000")
        b, _ = self.pack(*self.base_args(), "--size", "20000")
        c, _ = self.pack(*self.base_args(version="1.0.1"), "--size", "20000")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_size_option(self):
        for size in (1024, 65536, 1 << 20):
            with self.subTest(size=size):
                data, path = self.pack(*self.base_args(), "--size", str(size))
                self.assertLess(abs(len(data) - size), 32)
                self.ota("image", "verify", path, check=0)

    def test_mapped_segments_land_on_page_offsets(self):
        irom = self.write("irom.bin", bytes(range(256)) * 4)
        dram = self.write("dram.bin", b"\x11" * 5000)
        iram = self.write("iram.bin", b"\x22" * 3000)
        data, path = self.pack(*self.base_args(), "--segment", f"0x42000020:{irom}",
                               "--segment", f"0x3FC80000:{dram}", "--segment", f"0x40380000:{iram}")
        self.ota("image", "verify", path, "--chip", "esp32c3", check=0)
        img = parse_image(data)
        self.assertTrue(img["checksum_ok"] and img["hash_ok"])
        code = [s for s in img["segments"] if s["addr"] == 0x42000020]
        self.assertEqual(len(code), 1)
        # Placed at flash 0x10000 + offset, the data is congruent to its address mod 64 KiB.
        self.assertEqual((0x10000 + code[0]["data_offset"]) % 0x10000, 0x20)
        self.assertEqual(code[0]["data"], bytes(range(256)) * 4)
        # RAM contents survive, possibly cut into padding pieces: reassemble by address.
        ram = {}
        for s in img["segments"]:
            if 0x3FC80000 <= s["addr"] < 0x3FD00000:
                ram[s["addr"]] = s["data"]
        joined = b"".join(ram[a] for a in sorted(ram))
        self.assertEqual(joined[:5000], b"\x11" * 5000)
        for s in img["segments"]:
            if s["addr"] == 0:
                self.assertEqual(s["data"], bytes(len(s["data"])))

    def test_esp32_segment_end_rule(self):
        irom = self.write("irom.bin", b"\x33" * (0x10000 - 0x20 - 8))
        data, path = self.pack(*self.base_args("esp32"), "--segment", f"0x400D0020:{irom}")
        self.ota("image", "verify", path, "--chip", "esp32", check=0)
        for s in parse_image(data)["segments"]:
            if 0x400D0000 <= s["addr"] < 0x40400000 or 0x3F400000 <= s["addr"] < 0x3F800000:
                self.assertGreaterEqual((s["data_offset"] + s["len"]) % 0x10000, 0x24, hex(s["addr"]))

    def test_no_hash(self):
        data, path = self.pack(*self.base_args(), "--no-hash")
        self.assertEqual(data[23], 0)
        self.assertEqual(len(data) % 16, 0)
        self.assertTrue(parse_image(data)["checksum_ok"])
        self.ota("image", "verify", path, check=0)

    def test_tampered_pack_fails_verify(self):
        data, path = self.pack(*self.base_args(), "--size", "8192")
        tampered = bytearray(data)
        tampered[4000] ^= 0x01
        bad = self.write("bad.bin", bytes(tampered))
        r = self.ota("image", "verify", bad, check=1)
        self.assertIn("image: checksum mismatch", r.stderr_text)
        r = self.ota("image", "verify", path, "--chip", "esp32s3", check=1)
        self.assertIn("image: chip id mismatch", r.stderr_text)

    def assert_usage_error(self, args, text):
        r, out = self.pack(*args, check=2)
        lines = r.stderr_text.splitlines()
        self.assertEqual(len(lines), 1, r.stderr_text)
        self.assertIn(text, lines[0])
        self.assertFalse(os.path.exists(out))
        self.assertEqual(os.listdir(os.path.dirname(out)), [])

    def test_pack_errors_leave_no_file(self):
        self.assert_usage_error(["--chip", "esp32c3", "--project", "p"], "are required")
        self.assert_usage_error(["--chip", "esp99", "--project", "p", "--version", "1"], "unknown chip 'esp99'")
        self.assert_usage_error(self.base_args(version="x" * 32), "longer than 31 characters")
        self.assert_usage_error(self.base_args() + ["--segment", "nocolon"], "ADDR:FILE")
        self.assert_usage_error(self.base_args() + ["--segment", "0x3FC80000:/nonexistent"], "cannot open")
        self.assert_usage_error(self.base_args() + ["--flash-mode", "oct"], "unknown flash mode")
        self.assert_usage_error(self.base_args() + ["--size"], "needs a value")
        self.assert_usage_error(self.base_args() + ["--bogus"], "unknown option '--bogus'")
        irom = self.write("irom.bin", b"\0" * 64)
        self.assert_usage_error(self.base_args() + ["--segment", f"0x3C000100:{irom}"],
                                "mapped segment not aligned to MMU page")

    def test_verify_and_info_usage_errors(self):
        for args in (["image", "verify"], ["image", "verify", "/nonexistent.bin"],
                     ["image", "verify", "x.bin", "--chip", "z80"], ["image", "info"],
                     ["image", "info", "a", "b"], ["image", "frob"]):
            with self.subTest(args=args):
                r = self.ota(*args, check=2)
                self.assertEqual(len(r.stderr_text.splitlines()), 1, r.stderr_text)
        empty = self.write("empty.bin", b"")
        r = self.ota("image", "verify", empty, check=1)
        self.assertIn("image: truncated", r.stderr_text)


if __name__ == "__main__":
    clitest.main()
