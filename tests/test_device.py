"""`ota device` (a simulated device updating itself over the network) against nginx and a
fault-injecting server.

Base device, made once: factory v1.0.0 updated over HTTPS to v2.0.0 in ota_0, confirmed (VALID).
Each test copies it and offers v3.0.0 (or something worse) for ota_1. After every failure the
running app's partition, the active otadata entry and the running app in FLASH.state are
byte-for-byte what they were, the exit code is 1 and the one error line names the reason.
Everything listens on 127.0.0.1 only; servers are stopped in cleanups, processes killed in
`finally` blocks.
"""
import os
import re
import shutil
import signal
import subprocess
import time

import clitest
from faultserver import FaultServer
from nginxserver import Nginx

for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)

TABLE = """# Name, Type, SubType, Offset, Size, Flags
nvs,      data, nvs,     ,        0x4000,
otadata,  data, ota,     ,        0x2000,
phy_init, data, phy,     ,        0x1000,
factory,  app,  factory, ,        1M,
ota_0,    app,  ota_0,   ,        1M,
ota_1,    app,  ota_1,   ,        1M,
"""
OTADATA, OTA_0, OTA_1, SLOT = 0xD000, 0x110000, 0x210000, 0x100000
ENTRY = 32  # one otadata entry (the active one is copy 0 on the base device)
SIZE = 300_000
COMMIT = 64 * 1024  # the engine's commit interval: bytes between progress records
RECORD_COMMITTED = slice(48, 56)  # little-endian u64 in the progress record (net/record.c)
FAST = ("--allow-http", "--backoff-ms", "1")
DOWNLOAD = re.compile(r"downloaded (\d+) bytes: (\d+) request\(s\), (\d+) bytes transferred, "
                      r"resumed from (\d+)")


def read_at(path, offset, length):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


class DeviceTest(clitest.CliTest):
    @classmethod
    def setUpClass(cls):
        cls.base = clitest.tempfile.mkdtemp(prefix="ota-device-")
        try:
            cls._make_base()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "nginx", None):
            cls.nginx.stop()
        shutil.rmtree(cls.base, ignore_errors=True)

    @classmethod
    def run_ota(cls, *args):
        return subprocess.run([clitest.OTA, *map(str, args)], capture_output=True, text=True,
                              timeout=120)

    @classmethod
    def pack(cls, version, chip="esp32c3", secure_version=0, size=SIZE):
        out = os.path.join(cls.base, f"app-{chip}-{version}-{secure_version}.bin")
        r = cls.run_ota("image", "pack", "-o", out, "--chip", chip, "--project", "device-test",
                        "--version", version, "--size", size, "--secure-version", secure_version)
        assert r.returncode == 0, r.stderr
        with open(out, "rb") as f:
            return f.read()

    @classmethod
    def _make_base(cls):
        cls.v1, cls.v2, cls.v3 = (cls.pack(v) for v in ("1.0.0", "2.0.0", "3.0.0"))
        cls.www = os.path.join(cls.base, "www")
        os.mkdir(cls.www)
        for name, data in (("v2.bin", cls.v2), ("v3.bin", cls.v3)):
            with open(os.path.join(cls.www, name), "wb") as f:
                f.write(data)
        cls.nginx = Nginx(cls.www).start()
        table, v1 = os.path.join(cls.base, "table.csv"), os.path.join(cls.base, "v1.bin")
        with open(table, "w") as f:
            f.write(TABLE)
        with open(v1, "wb") as f:
            f.write(cls.v1)
        cls.base_flash = os.path.join(cls.base, "flash.bin")
        r = cls.run_ota("flash", "create", "-o", cls.base_flash, "--size", "4MB", "--table", table,
                        "--chip", "esp32c3", "--write", f"factory={v1}")
        assert r.returncode == 0, r.stderr
        r = cls.run_ota("device", "--flash", cls.base_flash, "--rollback", "--url",
                        cls.nginx.https_url("v2.bin"), "--ca", cls.nginx.certs.ca)
        assert r.returncode == 0 and r.stdout.endswith(
            "device: running ota_0 version 2.0.0 (installed v2.0.0)\n"), r.stdout + r.stderr

    def setUp(self):
        self.dir = self.tmpdir()
        self.flash = os.path.join(self.dir, "flash.bin")
        for suffix in ("", ".state"):
            shutil.copy(self.base_flash + suffix, self.flash + suffix)
        self.before = self.protected()

    def protected(self, running=OTA_0, entry=0):
        """What no failed update may change: the running app, the active entry, the state."""
        with open(self.flash + ".state") as f:
            state = [line for line in f if line.startswith("running=")]
        return (read_at(self.flash, running, SLOT),
                read_at(self.flash, OTADATA + entry * 0x1000, ENTRY), state)

    def slot_1(self):
        return read_at(self.flash, OTA_1, SLOT)

    def device(self, url, *opts):
        r = self.ota("device", "--flash", self.flash, "--rollback", "--url", url, *opts)
        m = DOWNLOAD.search(r.stdout_text)
        r.download = dict(zip(("written", "requests", "transferred", "resumed_from"),
                              map(int, m.groups()))) if m else None
        return r

    def serve(self, images=None):
        srv = FaultServer(images or {"/app.bin": self.v3}).start()
        self.addCleanup(srv.stop)
        return srv

    def assert_installed(self, r, version="3.0.0", label="ota_1"):
        self.assertEqual(r.returncode, 0, r.stdout_text + r.stderr_text)
        self.assertEqual(r.stderr_text, "")
        self.assertTrue(r.stdout_text.endswith(
            f"device: running {label} version {version} (installed v{version})\n"), r.stdout_text)

    def assert_refused(self, r, name, slot_untouched=False):
        """Exit 1, one error line naming the reason, and nothing the device runs on changed."""
        self.assertEqual(r.returncode, 1, r.stdout_text + r.stderr_text)
        self.assertEqual(r.stderr_text.count("\n"), 1, r.stderr_text)
        self.assertTrue(r.stderr_text.startswith("ota: error: device: "), r.stderr_text)
        self.assertIn(f"[{name}]", r.stderr_text)
        self.assertIn("device: running ota_0 version 2.0.0 (update failed: ", r.stdout_text)
        self.assertTrue(self.protected() == self.before, "the running app or its otadata changed")
        if slot_untouched:
            self.assertTrue(self.slot_1() == self.base_slot_1(), "ota_1 was written")

    def base_slot_1(self):
        return read_at(self.base_flash, OTA_1, SLOT)

    def committed(self):
        try:
            with open(self.flash + ".resume", "rb") as f:
                return int.from_bytes(f.read()[RECORD_COMMITTED], "little")
        except (OSError, ValueError):
            return None


class Updates(DeviceTest):
    """Downloads that must succeed, however the link behaves."""

    def test_https_update_then_nothing_new(self):
        r = self.device(self.nginx.https_url("v3.bin"), "--ca", self.nginx.certs.ca)
        self.assert_installed(r)
        self.assertEqual(r.download, {"written": SIZE, "requests": 1, "transferred": SIZE,
                                      "resumed_from": 0})
        self.assertTrue(self.slot_1()[:SIZE] == self.v3)
        self.assertIn("I (", r.stdout_text)  # console lines as a chip prints them
        self.assertIn("boot: chose ota_1", r.stdout_text)
        self.assertIn("app: diagnostics passed", r.stdout_text)
        self.assertFalse(os.path.exists(self.flash + ".resume"))
        again = self.device(self.nginx.https_url("v3.bin"), "--ca", self.nginx.certs.ca)
        self.assertEqual(again.returncode, 0, again.stderr_text)
        self.assertTrue(again.stdout_text.endswith("device: running ota_1 version 3.0.0 (up to date)\n"))
        self.assertIsNone(again.download)

    def test_cuts_at_many_offsets_resume_without_downloading_twice(self):
        srv = self.serve()
        srv.cuts = [1, 100, 287, 288, 289, 4095, 4096, COMMIT - 1, COMMIT, COMMIT + 1]  # 205764 in all
        r = self.device(srv.url("/app.bin"), *FAST, "--retries", "1")
        self.assert_installed(r)
        # every byte crossed the network once, in one request per cut plus the last
        self.assertEqual(r.download, {"written": SIZE, "requests": len(srv.cuts) + 1,
                                      "transferred": SIZE, "resumed_from": 0})
        offset = 0
        for cut, req in zip(srv.cuts, srv.requests[1:]):
            offset += cut
            self.assertEqual(req["range"], f"bytes={offset}-")

    def test_200_to_a_range_request_restarts_from_zero(self):
        srv = self.serve()
        srv.cuts, srv.ignore_range = [100_000], True
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_installed(r)
        self.assertEqual(r.download["transferred"], 100_000 + SIZE)

    def test_image_changed_between_attempts_installs_the_new_one(self):
        v4 = self.pack("4.0.0", size=SIZE + 8192)
        srv = self.serve({"/app.bin": [self.v3, v4]})
        srv.cuts, srv.version_of = [100_000], (lambda i: 0 if i == 0 else 1)
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_installed(r, "4.0.0")
        self.assertEqual(r.download["transferred"], 100_000 + len(v4))

    def test_killed_mid_download_resumes_after_the_reboot(self):
        srv = self.serve()
        srv.stalls = {0: 150_000}  # then silence: the process is killed in it
        url = srv.url("/app.bin")
        cmd = [clitest.OTA, "device", "--flash", self.flash, "--rollback", "--url", url, *FAST]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while (self.committed() or 0) < 2 * COMMIT and time.monotonic() < deadline:
                self.assertIsNone(proc.poll(), "ota device ended before it could be killed")
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)  # a power cut, as far as the process can tell
            proc.wait(timeout=10)
        committed = self.committed()
        self.assertEqual(committed, 2 * COMMIT)
        self.assertTrue(self.protected() == self.before, "the kill changed the running app")
        self.assertTrue(self.slot_1()[:committed] == self.v3[:committed], "record claims more than flash")
        r = self.device(url, *FAST)
        self.assert_installed(r)
        self.assertEqual(r.download["resumed_from"], committed)
        self.assertEqual(srv.requests[1]["range"], f"bytes={committed}-")
        self.assertEqual(r.download["transferred"], SIZE - committed)
        self.assertLessEqual(srv.sent(0) - committed, COMMIT)  # bytes downloaded twice


class Refusals(DeviceTest):
    """Failures: specific error, exit 1, the running app and active otadata entry unchanged."""

    def test_stalled_server_times_out(self):
        srv = self.serve()
        srv.stalls = {i: 0 for i in range(4)}  # headers, then silence
        started = time.monotonic()
        r = self.device(srv.url("/app.bin"), *FAST, "--timeout-ms", "800", "--retries", "1")
        self.assert_refused(r, "OTA_ERR_NET_TIMEOUT")
        self.assertLess(time.monotonic() - started, 15)

    def test_404_and_500(self):
        srv = self.serve()
        r = self.device(srv.url("/missing.bin"), *FAST)
        self.assert_refused(r, "OTA_ERR_NET_HTTP_STATUS", slot_untouched=True)
        self.assertIn("HTTP 404", r.stderr_text)
        srv.status = 500
        r = self.device(srv.url("/app.bin"), *FAST, "--retries", "1")
        self.assert_refused(r, "OTA_ERR_NET_HTTP_STATUS", slot_untouched=True)
        self.assertIn("HTTP 500", r.stderr_text)

    def test_content_length_larger_than_the_slot(self):
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(self.v3 + bytes(SLOT))
        r = self.device(self.nginx.https_url("big.bin"), "--ca", self.nginx.certs.ca)
        self.assert_refused(r, "OTA_ERR_NET_TOO_LARGE", slot_untouched=True)

    def test_body_shorter_than_content_length(self):
        srv = self.serve()
        srv.length_delta = 100
        r = self.device(srv.url("/app.bin"), *FAST, "--retries", "0")
        self.assert_refused(r, "OTA_ERR_NET_SHORT_BODY")

    def test_body_longer_than_content_length(self):
        srv = self.serve()
        srv.length_delta = -100
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_refused(r, "OTA_ERR_NET_LONG_BODY")

    def test_garbage_instead_of_an_image(self):
        srv = self.serve()
        srv.garbage = True
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_refused(r, "OTA_ERR_IMG_MAGIC", slot_untouched=True)

    def test_image_for_another_chip(self):
        with open(os.path.join(self.www, "s3.bin"), "wb") as f:
            f.write(self.pack("3.0.0", chip="esp32s3"))
        r = self.device(self.nginx.https_url("s3.bin"), "--ca", self.nginx.certs.ca)
        self.assert_refused(r, "OTA_ERR_IMG_CHIP", slot_untouched=True)

    def test_corrupted_image_fails_verification_and_is_not_booted(self):
        bad = bytearray(self.v3)
        bad[SIZE // 2] ^= 0x01
        srv = self.serve({"/app.bin": bytes(bad)})
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_refused(r, "OTA_ERR_IMG_CHECKSUM")
        bad[SIZE // 2] ^= 0x01
        bad[-1] ^= 0x01  # the appended SHA-256
        srv.images["/app.bin"] = [bytes(bad)]
        r = self.device(srv.url("/app.bin"), *FAST)
        self.assert_refused(r, "OTA_ERR_IMG_HASH")

    def test_wrong_ca(self):
        r = self.device(self.nginx.https_url("v3.bin"), "--ca", self.nginx.certs.wrong_ca)
        self.assert_refused(r, "OTA_ERR_NET_TLS", slot_untouched=True)

    def test_anti_rollback_refuses_a_lower_secure_version(self):
        for name, version, sv in (("sv2.bin", "3.0.0", 2), ("sv1.bin", "4.0.0", 1)):
            with open(os.path.join(self.www, name), "wb") as f:
                f.write(self.pack(version, secure_version=sv))
        ca = self.nginx.certs.ca
        # 3.0.0 (secure_version 2) is installed and confirmed: the counter becomes 2
        self.assert_installed(self.device(self.nginx.https_url("sv2.bin"), "--ca", ca,
                                          "--anti-rollback"))
        self.assertIn("secure_version=2\n", open(self.flash + ".state").read())
        before, target = self.protected(OTA_1, entry=1), read_at(self.flash, OTA_0, SLOT)
        r = self.device(self.nginx.https_url("sv1.bin"), "--ca", ca, "--anti-rollback")
        self.assertEqual(r.returncode, 1, r.stdout_text + r.stderr_text)
        self.assertIn("[OTA_ERR_IMG_SEC_VER]", r.stderr_text)
        self.assertTrue(self.protected(OTA_1, entry=1) == before, "the running app changed")
        self.assertTrue(read_at(self.flash, OTA_0, SLOT) == target, "the target slot was written")


class Rollback(DeviceTest):
    def test_bad_version_is_rejected_rolled_back_and_not_installed_again(self):
        url, ca = self.nginx.https_url("v3.bin"), self.nginx.certs.ca
        r = self.device(url, "--ca", ca, "--bad-version", "3.0.0")
        self.assertEqual(r.returncode, 0, r.stderr_text)
        self.assertTrue(r.stdout_text.endswith(
            "device: running ota_0 version 2.0.0 (installed v3.0.0, v3.0.0 rejected, rolled back)\n"),
            r.stdout_text)
        self.assertTrue(self.protected()[0] == self.before[0], "ota_0 changed")
        self.assertEqual(self.ota("app", "state", "--flash", self.flash, "--rollback",
                                  check=0).stdout_text, "ota_0 VALID\n")
        again = self.device(url, "--ca", ca)
        self.assertEqual(again.returncode, 0, again.stderr_text)
        self.assertIn("version 3.0.0 failed before", again.stdout_text)
        self.assertTrue(again.stdout_text.endswith("device: running ota_0 version 2.0.0 (up to date)\n"))

    def test_bad_version_without_anything_to_roll_back_to(self):
        v3 = os.path.join(self.dir, "v3.bin")
        with open(v3, "wb") as f:
            f.write(self.v3)
        self.ota("update", "--flash", self.flash, "--rollback", v3, check=0)  # ota_1, NEW
        with open(self.flash, "r+b") as f:  # the app to go back to is damaged meanwhile
            f.seek(OTA_0 + 1000)
            f.write(b"\x00")
        r = self.device(self.nginx.https_url("v3.bin"), "--ca", self.nginx.certs.ca,
                        "--bad-version", "3.0.0")
        self.assertEqual(r.returncode, 1, r.stdout_text + r.stderr_text)
        self.assertIn("[OTA_ERR_OTA_ROLLBACK_FAILED]", r.stderr_text)
        self.assertTrue(r.stdout_text.endswith(
            "device: running ota_1 version 3.0.0 (v3.0.0 failed its health check, no rollback "
            "possible)\n"), r.stdout_text)

    def test_require_signed_device_takes_only_signed_images(self):
        self.require_vectors()
        key = lambda kind: self.vector(f"signed/keys/rsa3072_a.{kind}.pem")
        www = os.path.join(self.dir, "www")
        os.mkdir(www)
        for version, name in (("1.0.0", "factory.bin"), ("3.0.0", "signed.bin"), ("3.0.0", "plain.bin")):
            out = os.path.join(www, name)
            self.ota("image", "pack", "-o", out, "--chip", "esp32c3", "--project", "device-test",
                     "--version", version, "--size", 50_000, check=0)
            if name != "plain.bin":
                self.ota("image", "sign", out, "-o", out, "--key", key("priv"), check=0)
        table = os.path.join(self.dir, "table.csv")
        with open(table, "w") as f:
            f.write(TABLE)
        self.ota("flash", "create", "-o", self.flash, "--size", "4MB", "--table", table, "--chip",
                 "esp32c3", "--write", f"factory={www}/factory.bin", check=0)
        srv = self.serve({"/plain.bin": read_at(f"{www}/plain.bin", 0, SIZE),
                          "/signed.bin": read_at(f"{www}/signed.bin", 0, SIZE)})
        trust = ("--require-signed", "--pubkey", key("pub"))
        r = self.device(srv.url("/plain.bin"), *FAST, *trust)
        self.assertEqual(r.returncode, 1, r.stdout_text + r.stderr_text)
        self.assertIn("[OTA_ERR_IMG_SIG_NONE]", r.stderr_text)
        self.assertIn("device: running factory version 1.0.0 (update failed: ", r.stdout_text)
        r = self.device(srv.url("/signed.bin"), *FAST, *trust)
        self.assert_installed(r, label="ota_0")

    def test_usage_errors(self):
        r = self.ota("device", "--flash", self.flash, check=2)
        self.assertIn("--url URL are required", r.stderr_text)
        r = self.ota("device", "--flash", self.flash, "--url", "x", "--max-boots", "0", check=2)
        self.assertIn("--max-boots", r.stderr_text)
        self.assertIn("usage: ota device", self.ota("device", "--help", check=0).stdout_text)
        table = os.path.join(self.dir, "table.csv")
        with open(table, "w") as f:
            f.write(TABLE)
        self.ota("flash", "create", "-o", self.flash, "--size", "4MB", "--table", table, check=0)
        r = self.ota("device", "--flash", self.flash, "--url", self.nginx.https_url("v3.bin"),
                     check=2)  # nothing to boot
        self.assertIn("no bootable image", r.stderr_text)
        self.assertEqual(r.stderr_text.count("\n"), 1, r.stderr_text)


if __name__ == "__main__":
    clitest.main()
