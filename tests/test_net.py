"""`ota fetch` (the download engine, net/) against a fault-injecting server and a real nginx.

Everything listens on 127.0.0.1 only; servers are stopped in cleanups, CLI runs
are bounded by timeouts and killed in `finally` blocks.
"""
import os
import random
import re
import signal
import socket
import struct
import subprocess
import time

import clitest
from faultserver import FaultServer
from nginxserver import Nginx

for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)  # every URL here is 127.0.0.1; never go through a proxy

SIZE = 300_000
COMMIT = 64 * 1024  # the engine's default commit interval: bytes between progress records
RECORD_COMMITTED = slice(48, 56)  # little-endian u64 in the progress record (net/record.c)
FAST = ("--backoff-ms", "1")


def make_image(size, version, seed):
    """An app image as far as the engine looks: 0xE9 header, segment header, app descriptor."""
    header = bytes([0xE9, 1, 2, 0x20]) + struct.pack("<I", 0x40080000) + bytes(16)
    segment = struct.pack("<II", 0x3F400020, 256)
    desc = (struct.pack("<II", 0xABCD5432, 1) + bytes(8) + version.encode().ljust(32, b"\0")
            + b"netdemo".ljust(32, b"\0")).ljust(256, b"\0")
    head = header + segment + desc
    return head + random.Random(seed).randbytes(size - len(head))


IMAGE = make_image(SIZE, "1.0.0", 1)
IMAGE_V2 = make_image(SIZE + 4096, "2.0.0", 2)


class NetTest(clitest.CliTest):
    def setUp(self):
        self.dir = self.tmpdir()
        self.out = os.path.join(self.dir, "out.bin")
        self.state = os.path.join(self.dir, "state")

    def fetch(self, url, *opts, check=None):
        return self.ota("fetch", url, "-o", self.out, *opts, check=check)

    @staticmethod
    def summary(proc):
        m = re.search(r"^fetch: (.*)$", proc.stdout_text, re.M)
        return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}

    def assert_ok(self, proc, expected):
        self.assertEqual(proc.returncode, 0, proc.stderr_text)
        self.assertEqual(proc.stderr_text, "")
        with open(self.out, "rb") as f:
            self.assertTrue(f.read() == expected, "downloaded file differs from the image")
        return self.summary(proc)

    def assert_error(self, proc, name):
        self.assertEqual(proc.returncode, 2, proc.stdout_text)
        self.assertEqual(proc.stderr_text.count("\n"), 1, proc.stderr_text)
        self.assertTrue(proc.stderr_text.startswith("ota: error: "), proc.stderr_text)
        self.assertIn(f"[{name}]", proc.stderr_text)
        return self.summary(proc)

    def output(self):
        with open(self.out, "rb") as f:
            return f.read()

    def committed(self):
        """Bytes the progress record claims, or None while there is none."""
        try:
            with open(self.state, "rb") as f:
                return int.from_bytes(f.read()[RECORD_COMMITTED], "little")
        except (OSError, ValueError):
            return None

    def fetch_killed(self, url, *opts, at_least):
        """Run `ota fetch --resume-state` and SIGKILL it once its record claims at_least bytes."""
        cmd = [clitest.OTA, "fetch", url, "-o", self.out, "--resume-state", self.state, *opts]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while (self.committed() or 0) < at_least and time.monotonic() < deadline:
                self.assertIsNone(proc.poll(), "ota fetch ended before it could be killed")
                time.sleep(0.01)
            self.assertGreaterEqual(self.committed() or 0, at_least, "no progress record in time")
        finally:
            proc.send_signal(signal.SIGKILL)  # a power cut, as far as the process can tell
            proc.wait(timeout=10)
        return self.committed()


class FetchArgs(NetTest):
    """Command-line errors: one line, exit 2, nothing fetched."""

    def test_help(self):
        r = self.ota("fetch", "--help", check=0)
        self.assertIn("usage: ota fetch URL -o FILE", r.stdout_text)
        self.assertIn("fetch", self.ota("--help", check=0).stdout_text)

    def check_usage_error(self, *args, message):
        r = self.ota("fetch", *args, check=2)
        self.assertEqual(r.stderr_text.count("\n"), 1, r.stderr_text)
        self.assertIn(message, r.stderr_text)

    def test_missing_output(self):
        self.check_usage_error("http://127.0.0.1:1/a.bin", message="need a URL and -o FILE")

    def test_unknown_option(self):
        self.check_usage_error("http://127.0.0.1:1/a.bin", "-o", self.out, "--frob", "1",
                               message="unknown option '--frob'")

    def test_bad_number(self):
        self.check_usage_error("http://127.0.0.1:1/a.bin", "-o", self.out, "--retries", "x",
                               message="--retries: 'x' is not a number")

    def test_unreadable_ca(self):
        self.check_usage_error("https://127.0.0.1:1/a.bin", "-o", self.out, "--ca",
                               os.path.join(self.dir, "none.pem"), message="cannot read CA file")

    def test_not_http(self):
        r = self.fetch("ftp://127.0.0.1/a.bin")
        self.assert_error(r, "OTA_ERR_INVALID_ARG")


class FaultServerTests(NetTest):
    """Misbehaving server: cuts, stalls, wrong answers to Range, changed images."""

    def serve(self, images=None):
        srv = FaultServer(images or {"/app.bin": [IMAGE, IMAGE_V2]}).start()
        self.addCleanup(srv.stop)
        return srv

    def test_cut_at_many_offsets_resumes_without_downloading_twice(self):
        srv = self.serve()
        srv.cuts = [1, 23, 264, 287, 288, 289, 4095, 4096, 16385, COMMIT, COMMIT + 1]
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", "--retries", "1", *FAST),
                           IMAGE)
        self.assertEqual(s["attempts"], len(srv.cuts) + 1)
        # every byte crossed the network once: nothing re-downloaded after any cut
        self.assertEqual(s["transferred"], SIZE)
        self.assertEqual(s["restarts"], 0)
        offset = 0
        for cut, req in zip(srv.cuts, srv.requests[1:]):
            offset += cut
            self.assertEqual(req["range"], f"bytes={offset}-")
            self.assertEqual(req["status"], 206)

    def test_200_to_a_range_request_restarts_from_zero(self):
        srv = self.serve()
        srv.cuts, srv.ignore_range = [5000], True
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", *FAST), IMAGE)
        self.assertEqual(srv.requests[1]["range"], "bytes=5000-")
        self.assertEqual(srv.requests[1]["status"], 200)
        self.assertEqual((s["restarts"], s["attempts"], s["transferred"]), (1, 2, 5000 + SIZE))

    def test_image_changed_between_attempts_restarts_with_the_new_image(self):
        srv = self.serve()
        srv.cuts, srv.version_of = [100_000], lambda i: 0 if i == 0 else 1
        r = self.fetch(srv.url("/app.bin"), "--allow-http", *FAST)
        s = self.assert_ok(r, IMAGE_V2)  # all of v2, nothing of v1
        self.assertEqual(s["restarts"], 1)
        self.assertEqual([q["range"] for q in srv.requests], [None, "bytes=100000-", None])
        # decide saw both images
        self.assertEqual(re.findall(r'version="([^"]*)"', r.stdout_text), ["1.0.0", "2.0.0"])

    def test_image_changed_to_same_length_fails_with_identity_error_without_retries_left(self):
        srv = self.serve({"/app.bin": [IMAGE, make_image(SIZE, "1.0.1", 3)]})
        srv.cuts, srv.version_of = [100_000], lambda i: i  # only the ETag tells them apart
        s = self.assert_error(self.fetch(srv.url("/app.bin"), "--allow-http", "--retries", "1",
                                         *FAST), "OTA_ERR_NET_IDENTITY")
        self.assertEqual(s["attempts"], 2)
        # v1's prefix was thrown away, not mixed with v2; without a resume state no file is left
        self.assertFalse(os.path.exists(self.out))

    def test_wrong_content_range_restarts_from_zero(self):
        srv = self.serve()
        srv.cuts, srv.bad_content_range = [5000], True
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", *FAST), IMAGE)
        self.assertEqual([q["range"] for q in srv.requests], [None, "bytes=5000-", None])
        self.assertEqual(s["restarts"], 1)

    def test_without_validators_a_cut_restarts_without_range(self):
        srv = self.serve()
        srv.cuts, srv.validators = [5000], False
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", *FAST), IMAGE)
        self.assertEqual([q["range"] for q in srv.requests], [None, None])
        self.assertEqual(s["restarts"], 1)

    def test_stall_after_headers_times_out_within_bound(self):
        srv = self.serve()
        srv.stalls = {0: 0}
        t0 = time.monotonic()
        r = self.fetch(srv.url("/app.bin"), "--allow-http", "--timeout-ms", "1000",
                       "--retries", "0")
        elapsed = time.monotonic() - t0
        self.assert_error(r, "OTA_ERR_NET_TIMEOUT")
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 4.0)
        self.assertFalse(os.path.exists(self.out))

    def test_stall_mid_body_times_out_and_resumes(self):
        srv = self.serve()
        srv.stalls = {0: 50_000}
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", "--timeout-ms", "800",
                                      *FAST), IMAGE)
        self.assertEqual(srv.requests[1]["range"], "bytes=50000-")
        self.assertEqual(s["transferred"], SIZE)

    def test_trickle_below_min_rate_times_out(self):
        srv = self.serve()
        srv.trickle = 0.1  # 10 B/s: never silent for long, but far too slow
        t0 = time.monotonic()
        r = self.fetch(srv.url("/app.bin"), "--allow-http", "--timeout-ms", "1000",
                       "--min-rate", "100", "--retries", "0")
        self.assert_error(r, "OTA_ERR_NET_TIMEOUT")
        self.assertIn("below 100 B/s", r.stderr_text)
        self.assertLess(time.monotonic() - t0, 4.0)

    def test_404_is_an_error_with_the_status_and_not_retried(self):
        srv = self.serve()
        srv.status = 404
        r = self.fetch(srv.url("/app.bin"), "--allow-http", *FAST)
        s = self.assert_error(r, "OTA_ERR_NET_HTTP_STATUS")
        self.assertIn("HTTP 404", r.stderr_text)
        self.assertEqual((s["attempts"], s["http_status"]), (1, 404))
        self.assertFalse(os.path.exists(self.out))

    def test_500_is_retried_then_reported_with_the_status(self):
        srv = self.serve()
        srv.status = 500
        r = self.fetch(srv.url("/app.bin"), "--allow-http", "--retries", "2", *FAST)
        s = self.assert_error(r, "OTA_ERR_NET_HTTP_STATUS")
        self.assertIn("HTTP 500", r.stderr_text)
        self.assertEqual((s["attempts"], s["http_status"]), (3, 500))

    def test_content_length_above_max_size_writes_nothing(self):
        srv = self.serve()
        with open(self.out, "wb") as f:
            f.write(b"previous contents")
        r = self.fetch(srv.url("/app.bin"), "--allow-http", "--max-size", str(SIZE - 1))
        s = self.assert_error(r, "OTA_ERR_NET_TOO_LARGE")
        self.assertEqual(s["written"], 0)
        self.assertEqual(self.output(), b"previous contents")
        self.assertNotIn("image:", r.stdout_text)  # decide was not even asked

    def test_max_size_equal_to_the_image_is_accepted(self):
        srv = self.serve()
        self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", "--max-size", str(SIZE)),
                       IMAGE)

    def test_body_shorter_than_content_length(self):
        srv = self.serve()
        srv.length_delta = 100
        s = self.assert_error(self.fetch(srv.url("/app.bin"), "--allow-http", "--retries", "0"),
                              "OTA_ERR_NET_SHORT_BODY")
        self.assertEqual((s["total"], s["written"]), (SIZE + 100, SIZE))

    def test_body_longer_than_content_length(self):
        srv = self.serve()
        srv.length_delta = -100
        s = self.assert_error(self.fetch(srv.url("/app.bin"), "--allow-http"),
                              "OTA_ERR_NET_LONG_BODY")
        self.assertEqual((s["total"], s["written"], s["attempts"]), (SIZE - 100, SIZE - 100, 1))

    def test_garbage_is_refused_by_decide_before_anything_is_written(self):
        srv = self.serve()
        srv.garbage = True
        s = self.assert_error(self.fetch(srv.url("/app.bin"), "--allow-http"), "OTA_ERR_IMG_MAGIC")
        self.assertEqual(s["written"], 0)
        self.assertFalse(os.path.exists(self.out))

    def test_redirect_is_followed(self):
        srv = self.serve()
        self.assert_ok(self.fetch(srv.url("/r/app.bin"), "--allow-http"), IMAGE)
        self.assertEqual([q["status"] for q in srv.requests], [302, 200])

    def test_plain_http_refused_unless_allowed(self):
        srv = self.serve()
        self.assert_error(self.fetch(srv.url("/app.bin")), "OTA_ERR_NET_INSECURE")
        self.assertEqual(srv.requests, [])

    def test_connection_refused(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again: nothing listens there
        s = self.assert_error(self.fetch(f"http://127.0.0.1:{port}/x.bin", "--allow-http",
                                         "--retries", "1", *FAST), "OTA_ERR_NET_CONNECT")
        self.assertEqual(s["attempts"], 2)

    def test_progress_reports_reach_the_total(self):
        srv = self.serve()
        r = self.ota("fetch", srv.url("/app.bin"), "-o", self.out, "--allow-http", "--progress",
                     check=0)
        done = [int(m) for m in re.findall(r"^progress: (\d+)/%d bytes \d+ B/s$" % SIZE,
                                           r.stderr_text, re.M)]
        self.assertTrue(done and done[-1] == SIZE, r.stderr_text)
        self.assertEqual(done, sorted(done))

    # -- resume across a reboot ----------------------------------------------
    def test_reboot_after_a_cut_resumes_with_a_range_request(self):
        srv = self.serve()
        srv.cuts = [123_457]
        url = srv.url("/app.bin")
        self.assert_error(self.fetch(url, "--allow-http", "--resume-state", self.state,
                                     "--retries", "0"), "OTA_ERR_NET_SHORT_BODY")
        self.assertEqual(self.committed(), COMMIT)  # the last multiple of the interval
        s = self.assert_ok(self.fetch(url, "--allow-http", "--resume-state", self.state), IMAGE)
        self.assertEqual(srv.requests[1]["range"], f"bytes={COMMIT}-")
        self.assertEqual((s["resumed_from"], s["transferred"]), (COMMIT, SIZE - COMMIT))
        self.assertFalse(os.path.exists(self.state))  # erased once complete

    def test_reboot_after_a_kill_redownloads_at_most_one_commit_interval(self):
        srv = self.serve()
        srv.stalls = {0: 200_000}
        url = srv.url("/app.bin")
        committed = self.fetch_killed(url, "--allow-http", "--timeout-ms", "20000",
                                      at_least=200_000 - COMMIT)
        s = self.assert_ok(self.fetch(url, "--allow-http", "--resume-state", self.state), IMAGE)
        self.assertEqual(s["resumed_from"], committed)
        self.assertEqual(committed % COMMIT, 0)
        self.assertEqual(srv.requests[1]["range"], f"bytes={committed}-")
        self.assertLessEqual(srv.sent(0) - committed, COMMIT)  # bytes downloaded twice
        self.assertEqual(s["transferred"], SIZE - committed)

    def test_reboot_with_a_changed_image_restarts_from_zero(self):
        srv = self.serve()
        srv.cuts = [100_000]
        url = srv.url("/app.bin")
        self.fetch(url, "--allow-http", "--resume-state", self.state, "--retries", "0")
        srv.version_of = lambda i: 0 if i == 0 else 1
        s = self.assert_ok(self.fetch(url, "--allow-http", "--resume-state", self.state, *FAST),
                           IMAGE_V2)
        self.assertEqual([q["range"] for q in srv.requests], [None, f"bytes={COMMIT}-", None])
        self.assertEqual(s["restarts"], 1)

    def test_reboot_with_a_corrupted_prefix_restarts_from_zero(self):
        srv = self.serve()
        srv.cuts = [100_000]
        url = srv.url("/app.bin")
        self.fetch(url, "--allow-http", "--resume-state", self.state, "--retries", "0")
        with open(self.out, "r+b") as f:
            f.seek(5000)
            f.write(b"X")
        s = self.assert_ok(self.fetch(url, "--allow-http", "--resume-state", self.state), IMAGE)
        self.assertEqual(srv.requests[1]["range"], None)
        self.assertEqual(s["resumed_from"], 0)

    def test_record_of_another_url_is_ignored(self):
        srv = self.serve({"/app.bin": IMAGE, "/other.bin": IMAGE})
        srv.cuts = [100_000]
        self.fetch(srv.url("/other.bin"), "--allow-http", "--resume-state", self.state,
                   "--retries", "0")
        s = self.assert_ok(self.fetch(srv.url("/app.bin"), "--allow-http", "--resume-state",
                                      self.state), IMAGE)
        self.assertEqual(srv.requests[1]["range"], None)
        self.assertEqual(s["resumed_from"], 0)


class NginxTests(NetTest):
    """A real nginx over HTTP and HTTPS (its own Range, ETag and TLS)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.www = tempfile.TemporaryDirectory(prefix="ota-www-")
        cls.addClassCleanup(cls.www.cleanup)
        with open(os.path.join(cls.www.name, "app.bin"), "wb") as f:
            f.write(IMAGE)
        cls.nginx = Nginx(cls.www.name).start()
        cls.addClassCleanup(cls.nginx.stop)

    def test_http_download_is_byte_identical(self):
        s = self.assert_ok(self.fetch(self.nginx.http_url("app.bin"), "--allow-http"), IMAGE)
        self.assertEqual((s["attempts"], s["http_status"]), (1, 200))

    def test_https_download_is_byte_identical(self):
        self.assert_ok(self.fetch(self.nginx.https_url("app.bin"), "--ca", self.nginx.certs.ca),
                       IMAGE)

    def test_https_with_the_wrong_ca_is_refused(self):
        r = self.fetch(self.nginx.https_url("app.bin"), "--ca", self.nginx.certs.wrong_ca)
        self.assertEqual(self.assert_error(r, "OTA_ERR_NET_TLS")["attempts"], 1)
        self.assertFalse(os.path.exists(self.out))

    def test_https_without_ca_uses_the_system_store_and_refuses(self):
        self.assert_error(self.fetch(self.nginx.https_url("app.bin")), "OTA_ERR_NET_TLS")

    def test_pinned_public_key(self):
        url, ca = self.nginx.https_url("app.bin"), self.nginx.certs.ca
        self.assert_ok(self.fetch(url, "--ca", ca, "--pin", self.nginx.certs.pin), IMAGE)
        os.unlink(self.out)
        wrong = "sha256//" + "A" * 43 + "="
        self.assert_error(self.fetch(url, "--ca", ca, "--pin", wrong), "OTA_ERR_NET_TLS_PIN")
        self.assertFalse(os.path.exists(self.out))

    def test_redirect_from_https_to_http_is_refused(self):
        r = self.fetch(self.nginx.https_url("to-http/app.bin"), "--ca", self.nginx.certs.ca)
        self.assert_error(r, "OTA_ERR_NET_INSECURE")

    def test_redirect_from_http_to_https_is_followed(self):
        self.assert_ok(self.fetch(self.nginx.http_url("to-https/app.bin"), "--allow-http",
                                  "--ca", self.nginx.certs.ca), IMAGE)

    def test_https_resume_after_a_kill_uses_nginx_ranges(self):
        url = self.nginx.https_url("slow/app.bin")
        committed = self.fetch_killed(url, "--ca", self.nginx.certs.ca, at_least=COMMIT)
        s = self.assert_ok(self.fetch(url, "--ca", self.nginx.certs.ca, "--resume-state",
                                      self.state), IMAGE)
        self.assertEqual((s["resumed_from"], s["restarts"]), (committed, 0))
        self.assertEqual((s["transferred"], s["http_status"]), (SIZE - committed, 206))


if __name__ == "__main__":
    clitest.main()
