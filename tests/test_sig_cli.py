"""`ota image sign`, `ota image verify --pubkey` and `ota key digest` against the
espsecure vectors.

Expected verdicts come from ../shared/vectors/signed/manifest.json (the strict
ROM-like reference rule, where it differs from espsecure's looser verify);
our own signatures are checked byte for byte against espsecure's layout and
independently with zlib (CRC), hashlib (digests) and the openssl CLI.
"""
import hashlib
import os
import shutil
import subprocess
import zlib

import clitest

SECTOR = 4096
BLOCK = 1216
KEYS = ["rsa3072_a", "rsa3072_b", "rsa3072_c", "ecdsa256_a", "ecdsa256_b", "ecdsa256_c",
        "ecdsa384_a", "ecdsa384_b", "ecdsa192_a", "ecdsa192_b"]
# digest length, key material length, signature field length, number width
LAYOUT = {"rsa": (32, 776, 384, 384), "ecdsa192": (32, 65, 64, 24),
          "ecdsa256": (32, 65, 64, 32), "ecdsa384": (48, 97, 96, 48)}


def layout(key):
    return LAYOUT[key.split("_")[0].replace("3072", "")]


LAYOUT_OF = {k: layout(k) for k in KEYS}

# The RAM-only hello-world input has no app descriptor: files made from it
# (their names say so) are verified as bootloaders, the kind without that rule.
RAM_ONLY = "esp32_helloworld"


class SigTest(clitest.CliTest):
    def setUp(self):
        self.require_vectors()
        self.m = self.manifest("signed/manifest.json")

    def sv(self, rel):
        return self.vector(os.path.join("signed", rel))

    def pub(self, key):
        return self.sv(self.m["keys"][key]["public_pem"])

    def priv(self, key):
        return self.sv(self.m["keys"][key]["private_pem"])

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)
        return path

    def verify(self, path, keys, *extra, check=None):
        args = ["image", "verify", path, *extra]
        if RAM_ONLY in os.path.basename(path):
            args.append("--bootloader")
        for k in keys:
            args += ["--pubkey", self.pub(k)]
        return self.ota(*args, check=check)

    def sign(self, src, out, *keys, check=0):
        args = ["image", "sign", src, "-o", out]
        for k in keys:
            args += ["--key", self.priv(k)]
        return self.ota(*args, check=check)

    def assert_one_error_line(self, r):
        self.assertEqual(r.stderr_text.count("\n"), 1, r.stderr_text)
        self.assertTrue(r.stderr_text.startswith("ota: error: "), r.stderr_text)


class KeyDigest(SigTest):
    def test_digest_of_every_key_matches_vectors(self):
        out = os.path.join(self.tmpdir(), "d.bin")
        for key in KEYS:
            want = self.read(self.sv(f"keys/{key}.pubkey_digest.hex")).decode().strip()
            for pem in (self.pub(key), self.priv(key)):
                r = self.ota("key", "digest", pem, "-o", out, check=0)
                self.assertEqual(r.stdout_text, want + "\n", pem)
                self.assertEqual(self.read(out), self.read(self.sv(f"keys/{key}.pubkey_digest.bin")))

    def test_unusable_keys(self):
        d = self.tmpdir()
        not_pem = self.write(os.path.join(d, "x.pem"), b"hello\n")
        for path, text in ((os.path.join(d, "missing.pem"), "cannot read key"),
                           (not_pem, "not a PEM public or private key")):
            r = self.ota("key", "digest", path, check=2)
            self.assert_one_error_line(r)
            self.assertIn(text, r.stderr_text)
        if shutil.which("openssl"):
            small = os.path.join(d, "rsa2048.pem")
            subprocess.run(["openssl", "genrsa", "-out", small, "2048"], check=True,
                           capture_output=True)
            r = self.ota("key", "digest", small, check=2)
            self.assertIn("unsupported key", r.stderr_text)


class VerifyVectors(SigTest):
    def test_every_case_as_the_manifest_expects(self):
        for case in self.m["cases"]:
            path = self.sv(case["file"])
            valid = case["must_verify_with"]
            for key in valid:
                r = self.verify(path, [key])
                self.assertEqual(r.returncode, 0, f"{case['id']} with {key}: {r.stderr_text}")
                block = case["expected_by_key"][key]["block"]
                self.assertIn(f": signature valid: block {block},", r.stdout_text)
            # "any of N": fails with all of them together only if it fails with each
            r = self.verify(path, case["must_not_verify_with"])
            self.assertEqual(r.returncode, 1, f"{case['id']}: {r.stdout_text}")
            self.assert_one_error_line(r)

    def test_wrong_key_cases(self):
        for case in self.m["wrong_key_cases"]:
            self.assertEqual(case["expected"]["result"], "invalid")
            self.verify(self.sv(case["file"]), [case["key"]], check=1)

    def test_where_espsecure_is_looser_we_follow_expected(self):
        looser = [c for c in self.m["cases"] if not c["espsecure_agrees_with_expected"]]
        self.assertGreaterEqual(len(looser), 5)
        for case in looser:
            for key, exp in case["expected_by_key"].items():
                r = self.verify(self.sv(case["file"]), [key])
                self.assertEqual(r.returncode, 0 if exp["result"] == "valid" else 1,
                                 f"{case['id']} with {key}")

    def openssl_sign(self, key, digest, *opts):
        d = self.tmpdir()
        dig = self.write(os.path.join(d, "digest"), digest)
        r = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.priv(key), "-in", dig,
                            *opts], capture_output=True, check=True)
        return r.stdout

    def with_signature(self, key, sig_field):
        """The vector signed by key, its signature field replaced and the block re-sealed."""
        data = bytearray(self.read(self.sv(f"valid/esp32_helloworld.{key}.signed.bin")))
        sector = len(data) - SECTOR
        dlen, klen, slen, _ = LAYOUT_OF[key]
        at = sector + 4 + dlen + klen
        data[at:at + slen] = sig_field
        data[sector + 1196:sector + 1200] = zlib.crc32(bytes(data[sector:sector + 1196])).to_bytes(4, "little")
        return self.write(os.path.join(self.tmpdir(), f"{RAM_ONLY}.resigned.bin"), data), data[:sector]

    def test_signatures_made_by_openssl(self):
        if not shutil.which("openssl"):
            self.skipTest("no openssl CLI")
        data = self.read(self.sv("valid/esp32_helloworld.rsa3072_a.signed.bin"))
        digest = hashlib.sha256(data[:len(data) - SECTOR]).digest()
        for salt, want in ((32, 0), (20, 1)):  # the salt length is part of the scheme
            sig = self.openssl_sign("rsa3072_a", digest, "-pkeyopt", "digest:sha256", "-pkeyopt",
                                    "rsa_padding_mode:pss", "-pkeyopt", f"rsa_pss_saltlen:{salt}")
            path, _ = self.with_signature("rsa3072_a", sig[::-1])
            r = self.verify(path, ["rsa3072_a"], check=want)
            if want:
                self.assertIn("block 0: OTA_ERR_IMG_SIG_INVALID", r.stderr_text)
        for key, hash_ in (("ecdsa384_a", hashlib.sha384), ("ecdsa192_a", hashlib.sha256)):
            width = LAYOUT_OF[key][3]
            digest = hash_(data[:len(data) - SECTOR]).digest()
            r_, s_ = der_unsig(self.openssl_sign(key, digest))
            field = r_.to_bytes(width, "little") + s_.to_bytes(width, "little")
            path, _ = self.with_signature(key, field.ljust(LAYOUT_OF[key][2], b"\0"))
            self.verify(path, [key], check=0)

    def test_reasons_name_each_block(self):
        r = self.verify(self.sv("negative/n13_esp32_helloworld.rsa3072_a.pubkey_flip_crc_fixed.bin"),
                        ["rsa3072_a"], check=1)
        self.assertIn("block 0: OTA_ERR_IMG_SIG_KEY, block 1: OTA_ERR_IMG_SIG_NONE", r.stderr_text)
        r = self.verify(self.sv("negative/n06_esp32_helloworld.rsa3072_a.sig_flip_crc_fixed.bin"),
                        ["rsa3072_a"], check=1)
        self.assertIn("block 0: OTA_ERR_IMG_SIG_INVALID", r.stderr_text)

    def test_sector_found_from_the_image_length(self):
        """The sector is at ALIGN_UP(parsed image length, 4096), whatever follows it."""
        case = next(c for c in self.m["cases"] if c["id"] == "v_esp32s2_blink_ecdsa256_a")
        d = self.tmpdir()
        signed = self.read(self.sv(case["file"]))
        dump = self.write(os.path.join(d, "part.bin"), signed + b"\xff" * 0x10000)
        inp = self.m["inputs"][case["input"]]
        r = self.verify(dump, ["ecdsa256_a"], check=0)
        self.assertIn(f"valid app image for esp32s2, {inp['length']} bytes", r.stdout_text)
        self.assertIn(": signature valid: block 0,", r.stdout_text)
        unsigned = self.read(self.sv(inp["file"]))
        dump = self.write(os.path.join(d, "part.bin"), unsigned + b"\xff" * 0x10000)
        r = self.verify(dump, ["ecdsa256_a"], check=1)
        self.assertIn("(sector at 0x2d000: block 0: OTA_ERR_IMG_SIG_NONE", r.stderr_text)
        r = self.verify(self.write(os.path.join(d, "cut.bin"), signed[:-1]), ["ecdsa256_a"], check=1)
        self.assertIn("signature sector outside the partition", r.stderr_text)

    def test_invalid_image_is_not_checked_for_a_signature(self):
        r = self.verify(self.sv("negative/n01_esp32c6_appdesc_securepadv2.rsa3072_a.payload_flip.bin"),
                        ["rsa3072_a"], check=1)
        self.assert_one_error_line(r)
        self.assertIn("image: checksum mismatch", r.stderr_text)
        self.assertEqual(r.stdout_text, "")
        r = self.verify(self.sv("valid/esp32s2_blink.rsa3072_a.signed.bin"), ["rsa3072_a"],
                        "--chip", "esp32c3", check=1)
        self.assertIn("image: chip id mismatch", r.stderr_text)

    def test_usage_errors(self):
        path = self.sv("valid/esp32_helloworld.ecdsa256_a.signed.bin")
        d = self.tmpdir()
        not_pem = self.write(os.path.join(d, "x.pem"), b"hello\n")
        for args in (["--pubkey"], ["--pubkey", os.path.join(d, "none.pem")], ["--pubkey", not_pem],
                     ["--pubkey", self.pub("ecdsa256_a")] * 33, ["--image-len", "4096"]):
            self.assert_one_error_line(self.ota("image", "verify", path, "--bootloader", *args, check=2))
        self.assert_one_error_line(self.verify(os.path.join(d, "none.bin"), ["ecdsa256_a"], check=2))
        self.assertIn("ota image sign", self.ota("image", "--help", check=0).stdout_text)
        for args in (["sig", "verify", path], ["sig", "sign"]):  # the old command is gone
            self.assertIn("unknown command 'sig'", self.ota(*args, check=2).stderr_text)


class Sign(SigTest):
    def block(self, data, slot):
        start = len(data) - SECTOR + slot * BLOCK
        return data[start:start + BLOCK]

    def check_block(self, data, slot, key):
        """Our block, checked with zlib, hashlib and the vectors' key material."""
        dlen, klen, slen, width = layout(key)
        b = self.block(data, slot)
        signed = data[:len(data) - SECTOR]
        self.assertEqual(b[0], 0xE7)
        self.assertEqual(b[1], 2 if key.startswith("rsa") else 3)
        self.assertEqual(b[2], 1 if dlen == 48 else 0)
        digest = (hashlib.sha384 if dlen == 48 else hashlib.sha256)(signed).digest()
        self.assertEqual(b[4:4 + dlen], digest)
        self.assertEqual(b[4 + dlen:4 + dlen + klen], self.read(self.sv(f"keys/{key}.key_material.bin")))
        self.assertEqual(int.from_bytes(b[1196:1200], "little"), zlib.crc32(b[:1196]))
        self.assertEqual(b[4 + dlen + klen + slen:1196], bytes(1196 - 4 - dlen - klen - slen))
        self.assertEqual(b[1200:], bytes(16))
        sig = b[4 + dlen + klen:4 + dlen + klen + slen]
        self.openssl_verify(key, digest, sig, width)

    def openssl_verify(self, key, digest, sig, width):
        if not shutil.which("openssl"):
            return
        d = self.tmpdir()
        dig = self.write(os.path.join(d, "digest"), digest)
        if key.startswith("rsa"):
            der = sig[::-1]
            opts = ["-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss",
                    "-pkeyopt", "rsa_pss_saltlen:32"]
        else:
            der = der_sig(int.from_bytes(sig[:width], "little"),
                          int.from_bytes(sig[width:2 * width], "little"))
            opts = []
        sigf = self.write(os.path.join(d, "sig"), der)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", self.pub(key),
                            "-in", dig, "-sigfile", sigf, *opts], capture_output=True)
        self.assertEqual(r.returncode, 0, f"openssl rejects our {key} signature: {r.stdout}{r.stderr}")

    def test_each_scheme_signs_like_espsecure(self):
        src = self.sv("inputs/esp32_helloworld.bin")
        d = self.tmpdir()
        for key in ("rsa3072_a", "ecdsa192_a", "ecdsa256_a", "ecdsa384_a"):
            out = os.path.join(d, f"{RAM_ONLY}.{key}.bin")
            r = self.sign(src, out, key)
            self.assertIn("block 0: ", r.stdout_text)
            data = self.read(out)
            ref = self.read(self.sv(f"valid/esp32_helloworld.{key}.signed.bin"))
            self.assertEqual(len(data), len(ref))
            # same bytes as espsecure up to the (random) signature, and after the CRC
            dlen, klen, _, _ = layout(key)
            head = len(data) - SECTOR + 4 + dlen + klen
            self.assertEqual(data[:head], ref[:head])
            self.assertEqual(data[len(data) - SECTOR + 1200:], ref[len(ref) - SECTOR + 1200:])
            self.check_block(data, 0, key)
            self.verify(out, [key], check=0)
            self.verify(out, [k for k in KEYS if k != key], check=1)

    def test_aligned_and_unaligned_inputs(self):
        d = self.tmpdir()
        for name, inp in self.m["inputs"].items():
            out = os.path.join(d, name)
            self.sign(self.sv(inp["file"]), out, "ecdsa256_b")
            data = self.read(out)
            self.assertEqual(len(data), inp["padded_length"] + SECTOR)
            src = self.read(self.sv(inp["file"]))
            self.assertEqual(data[:len(src)], src)
            self.assertEqual(data[len(src):inp["padded_length"]], b"\xff" * inp["pad_bytes_added_by_espsecure"])
            self.check_block(data, 0, "ecdsa256_b")

    def test_append_to_espsecure_signed_image(self):
        src = self.sv("valid/esp32c6_appdesc_securepadv2.ecdsa256_a.signed.bin")
        out = os.path.join(self.tmpdir(), "ab.bin")
        r = self.sign(src, out, "ecdsa256_b")
        self.assertIn("block 1: ECDSA-P-256", r.stdout_text)
        data, before = self.read(out), self.read(src)
        self.assertEqual(len(data), len(before))
        self.assertEqual(self.block(data, 0), self.block(before, 0))
        self.check_block(data, 1, "ecdsa256_b")
        ref = self.read(self.sv("multi/esp32c6_appdesc_securepadv2.ecdsa256_ab.append.signed.bin"))
        head = len(ref) - SECTOR + BLOCK + 4 + 32 + 65
        self.assertEqual(data[:head], ref[:head])
        self.assertIn("block 1,", self.verify(out, ["ecdsa256_b"], check=0).stdout_text)
        self.assertIn("block 0,", self.verify(out, ["ecdsa256_a"], check=0).stdout_text)

    def test_our_second_and_third_blocks(self):
        d = self.tmpdir()
        one = os.path.join(d, f"{RAM_ONLY}.one.bin")
        self.sign(self.sv("inputs/esp32_helloworld.bin"), one, "ecdsa384_b")
        three = os.path.join(d, f"{RAM_ONLY}.three.bin")
        self.sign(one, three, "rsa3072_c", "ecdsa192_b")
        data = self.read(three)
        self.assertEqual(self.block(data, 0), self.block(self.read(one), 0))
        self.check_block(data, 1, "rsa3072_c")
        self.check_block(data, 2, "ecdsa192_b")
        for block, key in enumerate(("ecdsa384_b", "rsa3072_c", "ecdsa192_b")):
            self.assertIn(f"block {block},", self.verify(three, [key], check=0).stdout_text)

    def test_fourth_block_refused(self):
        tb = self.m["tool_behaviour"][0]
        d = self.tmpdir()
        out = os.path.join(d, "four.bin")
        r = self.sign(self.sv(tb["input"]), out, "ecdsa256_a", check=2)
        self.assert_one_error_line(r)
        self.assertIn("already holds 3 block(s)", r.stderr_text)
        self.assertEqual(os.listdir(d), [])
        # also when the 4th would come from the same call
        one = os.path.join(d, "one.bin")
        self.sign(self.sv("inputs/esp32_helloworld.bin"), one, "ecdsa256_a", "ecdsa256_b")
        self.sign(one, out, "ecdsa256_c", "ecdsa192_a", check=2)
        self.assertEqual(os.listdir(d), ["one.bin"])

    def test_refusals_write_nothing(self):
        d = self.tmpdir()
        out = os.path.join(d, "out.bin")
        helloworld = self.sv("inputs/esp32_helloworld.bin")
        blink = bytearray(self.read(self.sv("valid/esp32s2_blink.rsa3072_a.signed.bin")))
        blink[182368] ^= 1  # padding: still a valid image, no longer what block 0 signs
        padding_flip = self.write(os.path.join(d, "padding_flip.bin"), blink)
        hw = self.read(self.sv("valid/esp32_helloworld.ecdsa256_a.signed.bin"))
        trailing = self.write(os.path.join(d, "trailing.bin"), hw + b"\xff" * 16)
        cases = [
            (["--key", self.pub("ecdsa256_a"), helloworld], "is a public key"),
            (["--key", self.priv("ecdsa256_a"),
              self.sv("negative/n22_esp32c6_appdesc_securepadv2.ecdsa256_ab.block0_crc_flip.bin")],
             "block 0 is damaged"),
            (["--key", self.priv("ecdsa256_a"),
              self.sv("negative/n23_esp32c6_appdesc_securepadv2.ecdsa256_ab.block1_digest_flip_crc_fixed.bin")],
             "block 1 signs other data"),
            (["--key", self.priv("ecdsa256_a"), padding_flip], "block 0 signs other data"),
            (["--key", self.priv("ecdsa256_a"),
              self.sv("negative/n01_esp32c6_appdesc_securepadv2.rsa3072_a.payload_flip.bin")],
             "not an image to sign: image: checksum mismatch"),
            (["--key", self.priv("ecdsa256_a"), self.write(os.path.join(d, "empty"), b"")],
             "not an image to sign: image: truncated"),
            (["--key", self.priv("ecdsa256_a"), trailing],
             "only be followed by padding to 0x1000 and one 4096-byte signature sector"),
            (["--key", self.priv("ecdsa256_a")] * 4 + [helloworld], "at most 3 --key"),
            ([helloworld], "--key and -o are required"),
            (["--key", self.priv("ecdsa256_a"), helloworld, "--image-len", "128"],
             "unknown option '--image-len'"),
        ]
        for args, text in cases:
            r = self.ota("image", "sign", *args, "-o", out, check=2)
            self.assert_one_error_line(r)
            self.assertIn(text, r.stderr_text)
            self.assertFalse(os.path.exists(out))

    def test_changes_to_our_output_fail(self):
        d = self.tmpdir()
        out = os.path.join(d, "s.bin")
        self.sign(self.sv("inputs/esp32s2_blink.bin"), out, "ecdsa256_a")
        data = bytearray(self.read(out))
        sector = len(data) - SECTOR
        for at, reason in ((0, "invalid magic"), (0x1000, "checksum mismatch"),
                           (182367, "SHA-256 mismatch"),  # the image, its last byte
                           (182368, "OTA_ERR_IMG_SIG_DIGEST"), (sector - 1, "OTA_ERR_IMG_SIG_DIGEST")):
            bad = bytearray(data)
            bad[at] ^= 1
            r = self.verify(self.write(os.path.join(d, "bad.bin"), bad), ["ecdsa256_a"], check=1)
            self.assertIn(reason, r.stderr_text)
        bad = bytearray(data)
        bad[sector + 4 + 32 + 65 + 5] ^= 1  # r, block re-sealed
        bad[sector + 1196:sector + 1200] = zlib.crc32(bytes(bad[sector:sector + 1196])).to_bytes(4, "little")
        r = self.verify(self.write(os.path.join(d, "bad.bin"), bad), ["ecdsa256_a"], check=1)
        self.assertIn("OTA_ERR_IMG_SIG_INVALID", r.stderr_text)

    def test_sign_to_stdout(self):
        r = self.ota("image", "sign", "--key", self.priv("ecdsa256_c"), self.sv("inputs/esp32_helloworld.bin"),
                     "-o", "-", check=0)
        out = self.write(os.path.join(self.tmpdir(), f"{RAM_ONLY}.s.bin"), r.stdout)
        self.assertEqual(len(r.stdout), 2 * SECTOR)
        self.verify(out, ["ecdsa256_c"], check=0)


def der_sig(r, s):
    """DER SEQUENCE { INTEGER r, INTEGER s } for openssl."""
    def integer(v):
        b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # room for a sign bit
        return b"\x02" + der_len(len(b)) + b
    body = integer(r) + integer(s)
    return b"\x30" + der_len(len(body)) + body


def der_unsig(der):
    """(r, s) from a DER ECDSA signature."""
    assert der[0] == 0x30
    pos = 3 if der[1] == 0x81 else 2
    out = []
    for _ in range(2):
        assert der[pos] == 0x02
        n = der[pos + 1]
        out.append(int.from_bytes(der[pos + 2:pos + 2 + n], "big"))
        pos += 2 + n
    return out


def der_len(n):
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


if __name__ == "__main__":
    clitest.main()
