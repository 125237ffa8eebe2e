"""What a simulated device trusts: `ota boot|update|app --require-signed --pubkey`
and the anti-rollback counter with its eFuse budget (`--anti-rollback`,
`ota flash create --secure-version-bits`, the counter in `ota boot`).

Images are made with `ota image pack` and signed with the vectors' keys by
`ota image sign --key`; espsecure's own signed images from the vectors go
through the same device path. Expected outcomes are the spec's (§2.6 load
order, §2.7 anti-rollback, §4.8 signatures); every refusal must leave FLASH
and FLASH.state byte for byte as they were.
"""
import hashlib
import json
import os

import clitest

# The table of ESP-IDF's app_update test app (spec §8.1), with the test app.
TABLE_WITH_TEST = """\
nvs,      data, nvs,     0x9000,   0x4000,
otadata,  data, ota,     0xd000,   0x2000,
phy_init, data, phy,     0xf000,   0x1000,
factory,  app,  factory, 0x10000,  0x80000,
ota_0,    app,  ota_0,   0x90000,  0x80000,
ota_1,    app,  ota_1,   0x110000, 0x80000,
test,     app,  test,    0x190000, 0x80000,
"""


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class TrustTest(clitest.CliTest):
    def setUp(self):
        self.require_vectors()
        self.dir = self.tmpdir()

    def path(self, name):
        return os.path.join(self.dir, name)

    def key(self, name, kind="pub"):
        return self.vector(f"signed/keys/{name}.{kind}.pem")

    def trust(self, *keys):
        args = ["--require-signed"]
        for k in keys:
            args += ["--pubkey", self.key(k)]
        return args

    def pack(self, name, version="1.0", secure_version=0, keys=(), chip="esp32c3"):
        out = self.path(name)
        self.ota("image", "pack", "-o", out, "--chip", chip, "--project", "trust-test",
                 "--version", version, "--size", 30000, "--secure-version", secure_version, check=0)
        if keys:
            args = ["image", "sign", out, "-o", out]
            for k in keys:
                args += ["--key", self.key(k, "priv")]
            self.ota(*args, check=0)
        return out

    def create(self, table=None, writes=(), extra=(), chip="esp32c3", size="4MB"):
        flash = self.path("flash.bin")
        table = table or self.vector("partition/valid/p02_factory_two_ota.csv")
        args = ["flash", "create", "-o", flash, "--size", size, "--table", table,
                "--chip", chip, *extra]
        for w in writes:
            args += ["--write", w]
        self.ota(*args, check=0)
        return flash

    def boot(self, flash, *opts):
        r = self.ota("boot", "--flash", flash, "--json", *opts, check=0)
        return json.loads(r.stdout_text)

    def snapshot(self, flash):
        return sha256(flash), sha256(flash + ".state")

    def refused(self, flash, *args, text):
        """A command that must exit 1 with `text` and change nothing."""
        before = self.snapshot(flash)
        r = self.ota(*args, check=1)
        self.assertIn(text, r.stderr_text)
        self.assertEqual(r.stderr_text.count("\n"), 1, r.stderr_text)
        self.assertEqual(self.snapshot(flash), before)
        return r


class RequireSigned(TrustTest):
    def test_update_refuses_unsigned_and_untrusted_images(self):
        flash = self.create(writes=["factory=" + self.pack("v1.bin", keys=["rsa3072_a"])])
        trust = self.trust("rsa3072_a", "ecdsa256_a")
        self.assertEqual(self.boot(flash, *trust)["partition"], "factory")
        self.refused(flash, "update", "--flash", flash, *trust, self.pack("bare.bin", "2.0"),
                     text="no signature block")
        self.refused(flash, "update", "--flash", flash, *trust,
                     self.pack("other.bin", "2.0", keys=["ecdsa256_b"]),
                     text="signing key is not a trusted key")
        # Trusted key, any scheme the keys have (P-256 here).
        self.ota("update", "--flash", flash, *trust,
                 self.pack("good.bin", "2.0", keys=["ecdsa256_a"]), check=0)
        out = self.boot(flash, *trust)
        self.assertEqual((out["partition"], out["rejected"], out["fell_back"]), ("ota_0", [], False))
        self.assertEqual(out["app"]["version"], "2.0")

    def test_boot_skips_unsigned_slot_and_falls_back(self):
        flash = self.create(writes=["factory=" + self.pack("v1.bin", keys=["rsa3072_a"])])
        self.boot(flash)
        # An app built without the requirement accepted an unsigned update ...
        self.ota("update", "--flash", flash, self.pack("bare.bin", "2.0"), check=0)
        # ... which a require-signed bootloader refuses: ota_0 is skipped, factory boots.
        out = self.boot(flash, *self.trust("rsa3072_a"))
        self.assertEqual((out["partition"], out["fell_back"]), ("factory", True))
        self.assertEqual([(x["partition"], x["error"]) for x in out["rejected"]],
                         [("ota_0", "OTA_ERR_IMG_SIG_NONE")])
        text = self.ota("boot", "--flash", flash, *self.trust("rsa3072_a"), check=0).stdout_text
        self.assertIn("rejected: ota_0: image: no signature block", text)
        self.assertEqual(self.boot(flash)["partition"], "ota_0")  # the requirement decides

    def test_boot_load_order_down_then_up_then_test_app(self):
        csv = self.path("table.csv")
        with open(csv, "w") as f:
            f.write(TABLE_WITH_TEST)
        signed = self.pack("s.bin", keys=["rsa3072_a"])
        flash = self.create(table=csv, writes=["factory=" + self.pack("bare.bin"),
                                               "ota_0=" + self.pack("other.bin", keys=["rsa3072_b"]),
                                               "test=" + signed])
        self.ota("data", "switch", "--flash", flash, "--name", "ota_0", check=0)
        trust = self.trust("rsa3072_a")
        # ESP-IDF's order from the active slot: ota_0, factory, ota_1 (empty), then test.
        out = self.boot(flash, *trust)
        self.assertEqual((out["partition"], out["fell_back"]), ("test", True))
        self.assertEqual({x["partition"]: x["error"] for x in out["rejected"]},
                         {"ota_0": "OTA_ERR_IMG_SIG_KEY", "factory": "OTA_ERR_IMG_SIG_NONE",
                          "ota_1": "OTA_ERR_IMG_MAGIC"})
        # Nothing signed by a trusted key: no boot, nothing written, the reasons in the message.
        r = self.refused(flash, "boot", "--flash", flash, *self.trust("ecdsa256_a"),
                         text="no bootable image")
        self.assertIn("ota_0: OTA_ERR_IMG_SIG_KEY", r.stderr_text)

    def test_espsecure_signed_vectors_on_the_device(self):
        img = "signed/valid/esp32c6_appdesc_securepadv2.{}.signed.bin"
        flash = self.path("c6.bin")
        self.ota("flash", "create", "-o", flash, "--size", "4MB", "--chip", "esp32c6",
                 "--table", self.vector("partition/valid/p02_factory_two_ota.csv"),
                 "--write", "factory=" + self.vector(img.format("rsa3072_a")), check=0)
        self.assertEqual(self.boot(flash, *self.trust("rsa3072_a"))["partition"], "factory")
        self.refused(flash, "update", "--flash", flash, *self.trust("rsa3072_a"),
                     self.vector(img.format("ecdsa384_a")), text="not a trusted key")
        self.ota("update", "--flash", flash, *self.trust("rsa3072_a", "ecdsa384_a"),
                 self.vector(img.format("ecdsa384_a")), check=0)
        self.assertEqual(self.boot(flash, *self.trust("ecdsa384_a"))["partition"], "ota_0")

    def test_options_go_together(self):
        flash = self.create(writes=["factory=" + self.pack("v1.bin")])
        app = self.pack("v2.bin", "2.0")
        for cmd in (["boot"], ["update"], ["app", "state"]):
            tail = [app] if cmd == ["update"] else []
            r = self.ota(*cmd, "--flash", flash, "--require-signed", *tail, check=2)
            self.assertIn("needs at least one --pubkey", r.stderr_text)
            r = self.ota(*cmd, "--flash", flash, "--pubkey", self.key("rsa3072_a"), *tail, check=2)
            self.assertIn("only used with --require-signed", r.stderr_text)
            r = self.ota(*cmd, "--flash", flash, "--require-signed", "--pubkey",
                         self.path("missing.pem"), *tail, check=2)
            self.assertIn("cannot read key", r.stderr_text)

    def test_rollback_target_must_be_signed(self):
        flash = self.create(writes=["factory=" + self.pack("v1.bin", keys=["rsa3072_a"])])
        trust = self.trust("rsa3072_a")
        self.boot(flash, "--rollback", *trust)
        self.ota("update", "--flash", flash, "--rollback", *trust,
                 self.pack("v2.bin", "2.0", keys=["rsa3072_a"]), check=0)
        self.assertEqual(self.boot(flash, "--rollback", *trust)["partition"], "ota_0")
        # The factory app to roll back to is signed: possible. Without its signature: not.
        with open(self.pack("bare.bin"), "rb") as f:
            bare = f.read()
        with open(flash, "r+b") as f:
            f.seek(0x10000)
            f.write(bare + b"\xff" * (0x9000 - len(bare)))  # the signature sector too
        self.refused(flash, "app", "mark-invalid", "--flash", flash, "--rollback", *trust,
                     text="no app to roll back to")
        self.ota("app", "mark-invalid", "--flash", flash, "--rollback", check=0)


class AntiRollback(TrustTest):
    def test_composes_with_require_signed(self):
        flash = self.create(writes=["factory=" + self.pack("v1.bin", secure_version=1,
                                                         keys=["rsa3072_a"])])
        opts = ["--anti-rollback", *self.trust("rsa3072_a")]
        out = self.boot(flash, *opts)
        self.assertEqual(out["anti_rollback_counter"],
                         {"value": 0, "bits": 16, "remaining": 16, "raise_error": None})
        self.ota("update", "--flash", flash, *opts,
                 self.pack("v3.bin", "3.0", secure_version=3, keys=["rsa3072_a"]), check=0)
        self.assertEqual(self.boot(flash, *opts)["partition"], "ota_0")
        self.ota("app", "mark-valid", "--flash", flash, *opts, check=0)  # counter raised on confirm
        out = self.boot(flash, *opts)
        self.assertEqual((out["secure_version"], out["anti_rollback_counter"]["remaining"]), (3, 13))
        text = self.ota("boot", "--flash", flash, *opts, check=0).stdout_text
        self.assertIn("anti-rollback counter: 3 of 16 eFuse bits, 13 left\n", text)
        self.refused(flash, "update", "--flash", flash, *opts,
                     self.pack("v2.bin", "2.0", secure_version=2, keys=["rsa3072_a"]),
                     text="secure_version too low")
        self.refused(flash, "update", "--flash", flash, *opts,
                     self.pack("v5.bin", "5.0", secure_version=5), text="no signature block")

    def test_budget_reached(self):
        flash = self.create(writes=["factory=" + self.pack("v0.bin")],
                            extra=["--secure-version-bits", "4"])
        self.assertEqual(self.boot(flash, "--anti-rollback")["anti_rollback_counter"]["bits"], 4)
        self.ota("update", "--flash", flash, "--anti-rollback",
                 self.pack("v4.bin", "4.0", secure_version=4), check=0)
        self.boot(flash, "--anti-rollback")
        self.ota("app", "mark-valid", "--flash", flash, "--anti-rollback", check=0)
        counter = self.boot(flash, "--anti-rollback")["anti_rollback_counter"]
        self.assertEqual((counter["value"], counter["remaining"]), (4, 0))
        self.refused(flash, "update", "--flash", flash, "--anti-rollback",
                     self.pack("v5.bin", "5.0", secure_version=5),
                     text="anti-rollback counter exhausted")
        # The same version needs no raise.
        self.ota("update", "--flash", flash, "--anti-rollback",
                 self.pack("v4b.bin", "4.1", secure_version=4), check=0)

    def test_confirm_beyond_budget_changes_nothing(self):
        flash = self.create(writes=["factory=" + self.pack("v0.bin")],
                            extra=["--secure-version-bits", "4"])
        self.boot(flash, "--anti-rollback")
        # Installed by an app built without anti-rollback, booted by one with it.
        self.ota("update", "--flash", flash, "--rollback",
                 self.pack("v5.bin", "5.0", secure_version=5), check=0)
        self.assertEqual(self.boot(flash, "--anti-rollback")["partition"], "ota_0")
        self.refused(flash, "app", "mark-valid", "--flash", flash, "--anti-rollback",
                     text="anti-rollback counter exhausted")
        self.assertEqual(self.ota("app", "state", "--flash", flash, check=0).stdout_text,
                         "ota_0 PENDING_VERIFY\n")

    def test_bootloader_raise_beyond_budget_is_reported(self):
        # No factory, blank otadata: the bootloader writes ota_0 VALID and raises the counter.
        flash = self.create(table=self.vector("partition/valid/p03_no_factory_four_ota.csv"),
                            writes=["ota_0=" + self.pack("v5.bin", secure_version=5)],
                            extra=["--secure-version-bits", "4"], size="8MB")
        out = self.boot(flash, "--anti-rollback")
        self.assertEqual(out["partition"], "ota_0")
        self.assertEqual(out["otadata_writes"][0]["state"], "VALID")
        self.assertEqual(out["anti_rollback_counter"],
                         {"value": 0, "bits": 4, "remaining": 4,
                          "raise_error": "OTA_ERR_OTA_SEC_VER_EXHAUSTED"})
        text = self.ota("boot", "--flash", flash, "--anti-rollback", check=0).stdout_text
        self.assertIn("anti-rollback counter: not raised: anti-rollback counter exhausted", text)

    def test_counter_field_in_the_state_file(self):
        for chip, bits in (("esp32c3", 16), ("esp32", 32), ("esp32c2", 4)):
            flash = self.create(writes=["factory=" + self.pack("v0.bin", chip=chip)], chip=chip)
            state = flash + ".state"
            with open(state) as f:
                lines = f.read().splitlines()
            self.assertIn(f"secure_version_bits={bits}", lines)
            # Older state files name no field: the chip's largest.
            with open(state, "w") as f:
                f.write("\n".join(l for l in lines if not l.startswith("secure_version_bits=")))
            self.assertEqual(self.boot(flash)["anti_rollback_counter"]["bits"], bits)
        for bad, why in (("secure_version=5\nsecure_version_bits=4\n", "does not fit in 4 eFuse bits"),
                         ("secure_version_bits=33\n", "invalid value"),
                         ("secure_version_bits=0\n", "invalid value")):
            with open(state, "w") as f:
                f.write(bad)
            r = self.ota("boot", "--flash", flash, check=2)
            self.assertIn(why, r.stderr_text)
        for bits in ("0", "33", "x"):
            self.ota("flash", "create", "-o", self.path("f2.bin"), "--size", "4MB", "--table",
                     self.vector("partition/valid/p02_factory_two_ota.csv"),
                     "--secure-version-bits", bits, check=2)
        self.assertFalse(os.path.exists(self.path("f2.bin")))


if __name__ == "__main__":
    clitest.main()
