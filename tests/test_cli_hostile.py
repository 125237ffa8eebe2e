"""Every CLI command fed malformed input.

Inputs: empty, truncated, random bytes, the wrong kind of file, a missing
file, a directory; options with oversized or malformed numbers; outputs that
cannot be written (a path under /proc, a directory, a missing directory); and
for `ota fetch` a local server answering with broken HTTP. Every run must exit
with 1 or 2 (never 0, never a signal, no sanitizer report), print exactly one
`ota: error: ...` line on stderr (`ota part`: gen_esp32part's lines, of which
the last is the error, and no traceback) and leave no output file, not even a
temporary one. Needs no vectors: valid inputs are made with the CLI and openssl.
"""
import os
import random
import socket
import subprocess
import tempfile
import threading

import clitest

for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)  # every URL here is 127.0.0.1

CSV = b"# Name, Type, SubType, Offset, Size, Flags\nnvs,data,nvs,0x9000,0x6000,\nfactory,app,factory,0x10000,1M,\n"
HUGE = ["99999999999999999999999", "0x100000000", "4294967296", "-1", "1e9", "0x", "", "12abc", "5000M"]


class HttpAnswers:
    """127.0.0.1 server: each connection gets the next canned answer, then is closed."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/image.bin"

    def _serve(self):
        i = 0
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(self.answers[min(i, len(self.answers) - 1)])
                except OSError:
                    pass
            i += 1

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class Hostile(clitest.CliTest):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ota-hostile-")
        d = cls.tmp.name
        cls.files = {}

        def put(name, data):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(data)
            cls.files[name] = path

        rnd = random.Random(1234)
        put("empty", b"")
        put("random", rnd.randbytes(4096))
        put("random_e9", b"\xe9" + rnd.randbytes(4095))
        put("csv", CSV)
        put("csv_truncated", CSV[:60])  # "nvs,data,nvs,0x90": a row cut before its size
        put("pem_garbage", b"-----BEGIN PUBLIC KEY-----\n" + rnd.randbytes(300) + b"\n-----END PUBLIC KEY-----\n")
        cls.files["missing"] = os.path.join(d, "does-not-exist")
        cls.files["directory"] = d
        image = os.path.join(d, "app.bin")
        subprocess.run([clitest.OTA, "image", "pack", "-o", image, "--chip", "esp32c3", "--project", "p",
                        "--version", "1", "--size", "8192"], check=True, capture_output=True)
        with open(image, "rb") as f:
            data = f.read()
        cls.files["image"] = image
        put("image_truncated", data[: len(data) // 2])
        put("image_header_only", data[:24])
        put("random_big", rnd.randbytes(0x5000))  # larger than the nvs partition of the device
        key = os.path.join(d, "key.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                       check=True, capture_output=True)
        cls.files["key"] = key
        with open(key, "rb") as f:
            put("key_truncated", f.read()[:60])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def f(self, name):
        return self.files[name]

    def bad_outputs(self):
        """Paths that cannot be written, each with what must not exist afterwards."""
        d = self.tmpdir()
        return [os.path.join("/proc", "ota-hostile-out"), os.path.join(d, "no", "such", "dir", "out"), d]

    def assert_fails(self, *args, part=False, outputs=()):
        r = self.ota(*args)
        cmd = "ota " + " ".join(map(str, args))
        self.assertIn(r.returncode, (1, 2), f"{cmd}\nstdout:\n{r.stdout_text}\nstderr:\n{r.stderr_text}")
        for marker in ("Sanitizer", "runtime error:", "Traceback", "Segmentation"):
            self.assertNotIn(marker, r.stderr_text, cmd)
        lines = r.stderr_text.splitlines()
        if part:
            self.assertTrue(lines and lines[-1].strip(), f"{cmd}: no error line")
        else:
            self.assertEqual(len(lines), 1, f"{cmd}: stderr:\n{r.stderr_text}")
            self.assertTrue(lines[0].startswith("ota: error: "), f"{cmd}: {lines[0]}")
        for out in outputs:
            self.assert_no_output(out, cmd)
        return r

    def assert_no_output(self, out, cmd):
        if os.path.isdir(out):
            return  # a directory given as output is left as it was
        self.assertFalse(os.path.exists(out), f"{cmd}: left {out}")
        parent = os.path.dirname(out)
        if os.path.isdir(parent):
            leftovers = [n for n in os.listdir(parent) if n.startswith(os.path.basename(out) + ".tmp")]
            self.assertEqual(leftovers, [], f"{cmd}: left temporary files")

    def out(self):
        return os.path.join(self.tmpdir(), "out")

    # ---- ota image -----------------------------------------------------------------

    def test_image_info_and_verify_bad_inputs(self):
        for name in ("empty", "random", "random_e9", "csv", "image_truncated", "image_header_only",
                     "missing", "directory"):
            for args in (("info",), ("info", "--json"), ("verify",), ("verify", "--bootloader"),
                         ("verify", "--chip", "esp32")):
                with self.subTest(file=name, args=args):
                    self.assert_fails("image", *args, self.f(name))

    def test_image_verify_bad_keys(self):
        for name in ("empty", "random", "pem_garbage", "key_truncated", "image", "missing", "directory"):
            with self.subTest(key=name):
                self.assert_fails("image", "verify", self.f("image"), "--pubkey", self.f(name))

    def test_image_verify_bad_options(self):
        for args in (("--chip", "esp99"), ("--chip",), ("--frobnicate",), ("--pubkey",)):
            with self.subTest(args=args):
                self.assert_fails("image", "verify", self.f("image"), *args)

    def test_image_sign_bad_inputs(self):
        for name in ("empty", "random", "csv", "image_truncated", "image_header_only", "missing", "directory"):
            with self.subTest(input=name):
                out = self.out()
                self.assert_fails("image", "sign", "--key", self.f("key"), self.f(name), "-o", out, outputs=[out])
        for name in ("empty", "random", "pem_garbage", "key_truncated", "image", "missing", "directory"):
            with self.subTest(key=name):
                out = self.out()
                self.assert_fails("image", "sign", "--key", self.f(name), self.f("image"), "-o", out, outputs=[out])

    def test_image_sign_unwritable_output(self):
        for out in self.bad_outputs():
            with self.subTest(out=out):
                self.assert_fails("image", "sign", "--key", self.f("key"), self.f("image"), "-o", out, outputs=[out])

    def test_image_pack_bad_options(self):
        base = ["image", "pack", "--chip", "esp32", "--project", "p", "--version", "1"]
        cases = [[opt, v] for opt in ("--size", "--secure-version", "--min-rev-full", "--max-rev-full")
                 for v in HUGE]
        cases += [["--segment", v] for v in ("0x100000000:" + self.f("csv"), "0x3f400000:" + self.f("missing"),
                                             "0x3f400000:" + self.f("directory"), "nocolon", ":x", "0x10:")]
        cases += [["--chip", "esp99"], ["--flash-mode", "turbo"], ["--flash-size", "3MB"],
                  ["--project", "p" * 40], ["--date", "d" * 40], ["--size"]]
        for extra in cases:
            with self.subTest(args=extra):
                out = self.out()
                self.assert_fails(*base, "-o", out, *extra, outputs=[out])

    def test_image_pack_unwritable_output(self):
        for out in self.bad_outputs():
            with self.subTest(out=out):
                self.assert_fails("image", "pack", "--chip", "esp32", "--project", "p", "--version", "1",
                                  "-o", out, outputs=[out])

    # ---- ota key ---------------------------------------------------------------------

    def test_key_digest_bad_inputs(self):
        for name in ("empty", "random", "pem_garbage", "key_truncated", "image", "missing", "directory"):
            with self.subTest(key=name):
                out = self.out()
                self.assert_fails("key", "digest", self.f(name), "-o", out, outputs=[out])
        for out in self.bad_outputs():
            with self.subTest(out=out):
                self.assert_fails("key", "digest", self.f("key"), "-o", out, outputs=[out])
        self.assert_fails("key", "frobnicate", self.f("key"))

    # ---- ota part ----------------------------------------------------------------------

    def test_part_bad_inputs(self):
        # An empty file is a valid empty CSV table, for gen_esp32part too.
        for name in ("random", "random_e9", "csv_truncated", "image", "image_truncated", "key",
                     "missing", "directory"):
            with self.subTest(file=name):
                out = self.out()
                self.assert_fails("part", self.f(name), out, part=True, outputs=[out])

    def test_part_bad_options(self):
        cases = [[opt, v] for opt in ("--offset", "--primary-bootloader-offset", "--recovery-bootloader-offset")
                 for v in HUGE]
        cases += [["--flash-size", v] for v in ("3MB", "99999999999MB", "")]
        cases += [["--secure", "v9"], ["--extra-partition-subtypes", "data,x"],
                  ["--extra-partition-subtypes", "data,x,0x1ff"], ["--frobnicate"]]
        for extra in cases:
            with self.subTest(args=extra):
                out = self.out()
                self.assert_fails("part", *extra, self.f("csv"), out, part=True, outputs=[out])

    def test_part_unwritable_output(self):
        for out in self.bad_outputs():
            with self.subTest(out=out):
                self.assert_fails("part", self.f("csv"), out, part=True, outputs=[out])

    # ---- ota fetch ---------------------------------------------------------------------

    def fetch_fails(self, url, *extra):
        out = self.out()
        return self.assert_fails("fetch", url, "-o", out, "--retries", "0", "--timeout-ms", "3000", *extra,
                                 outputs=[out])

    def test_fetch_bad_options(self):
        for opt in ("--max-size", "--timeout-ms", "--min-rate", "--retries", "--backoff-ms"):
            for v in HUGE:
                with self.subTest(opt=opt, value=v):
                    self.fetch_fails("http://127.0.0.1:9/x", "--allow-http", opt, v)
        for url in ("ftp://127.0.0.1/x", "http://127.0.0.1:9/x", "not a url", ""):
            with self.subTest(url=url):
                self.fetch_fails(url)
        self.fetch_fails("https://127.0.0.1:9/x", "--ca", self.f("missing"))
        self.fetch_fails("https://127.0.0.1:9/x", "--ca", self.f("random"))

    def test_fetch_broken_answers(self):
        image = open(self.f("image"), "rb").read()
        answers = {
            "garbage": random.Random(7).randbytes(3000),
            "no_status": b"\r\n\r\n",
            "huge_length": b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n" + image,
            "no_length": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + image,
            "short_body": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(image) + 100) + image,
            "long_body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + image,
            "not_an_image": b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + bytes(4096),
            "partial_unasked": b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-99/100\r\n"
                               b"Content-Length: 100\r\n\r\n" + image[:100],
            "status_500": b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n",
            "nul_in_header": b"HTTP/1.1 200 OK\r\nETag: \"a\0b\"\r\nContent-Length: 5\r\n\r\n\xe9abc",
        }
        for name, answer in answers.items():
            with self.subTest(answer=name):
                srv = HttpAnswers([answer])
                try:
                    self.fetch_fails(srv.url, "--allow-http")
                finally:
                    srv.close()

    def test_fetch_unwritable_output(self):
        image = open(self.f("image"), "rb").read()
        for out in self.bad_outputs():
            with self.subTest(out=out):
                srv = HttpAnswers([b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(image) + image])
                try:
                    self.assert_fails("fetch", srv.url, "--allow-http", "--retries", "0", "-o", out,
                                      outputs=[out])
                finally:
                    srv.close()

    # ---- the simulated device: ota flash|data|boot|update|app|device ------------------

    DEVICE_CSV = (b"nvs,data,nvs,0x9000,0x4000,\notadata,data,ota,0xd000,0x2000,\nphy_init,data,phy,0xf000,0x1000,\n"
                  b"factory,app,factory,0x10000,1M,\nota_0,app,ota_0,,1M,\nota_1,app,ota_1,,1M,\n")

    def device(self):
        """A booted device: FLASH with the app in factory, and FLASH.state."""
        d = self.tmpdir()
        table, flash = os.path.join(d, "table.csv"), os.path.join(d, "flash.bin")
        with open(table, "wb") as f:
            f.write(self.DEVICE_CSV)
        self.ota("flash", "create", "-o", flash, "--size", "4MB", "--table", table,
                 "--write", "factory=" + self.f("image"), check=0)
        self.ota("boot", "--flash", flash, check=0)
        return flash, table

    def bad_flashes(self):
        """Files that are not a device's flash, and a device whose flash was cut short."""
        flash, _ = self.device()
        with open(flash, "r+b") as f:
            f.truncate(0x9000)
        names = ("empty", "random", "csv", "image", "missing", "directory")
        return [self.f(n) for n in names] + [flash]

    def snapshot(self, flash):
        out = {}
        for path in (flash, flash + ".state"):
            with open(path, "rb") as f:
                out[path] = f.read()
        return out

    def test_flash_create_bad_inputs(self):
        _, table = self.device()
        base = ["flash", "create", "--size", "4MB"]
        cases = [["--table", self.f(n)] for n in ("random", "image", "missing", "directory", "csv_truncated")]
        cases += [["--table", table, "--size", v] for v in HUGE + ["3", "1K"]]
        cases += [["--table", table, "--table-offset", v] for v in HUGE + ["0x3fffff"]]
        cases += [["--table", table, "--write", w] for w in
                  ("factory=" + self.f("missing"), "factory=" + self.f("directory"), "nosuch=" + self.f("image"),
                   "factory", "=x", "nvs=" + self.f("random_big"))]
        cases += [["--table", table, "--chip", "esp99"]]
        for extra in cases:
            with self.subTest(args=extra):
                out = self.out()
                self.assert_fails(*base, *extra, "-o", out, outputs=[out, out + ".state"])
        for out in self.bad_outputs():
            with self.subTest(out=out):
                self.assert_fails(*base, "--table", table, "-o", out, outputs=[out, out + ".state"])

    def test_device_commands_on_bad_flash(self):
        commands = [("data", "read"), ("data", "switch", "--slot", "0"), ("data", "erase"), ("boot",),
                    ("app", "state"), ("app", "mark-valid"), ("app", "mark-invalid"),
                    ("update", self.f("image")),
                    ("device", "--url", "http://127.0.0.1:9/x.bin", "--allow-http", "--retries", "0")]
        for flash in self.bad_flashes():
            for cmd in commands:
                with self.subTest(flash=os.path.basename(flash), cmd=cmd):
                    self.assert_fails(cmd[0], "--flash", flash, *cmd[1:])

    def test_device_commands_refuse_without_change(self):
        flash, _ = self.device()
        before = self.snapshot(flash)
        cases = [["update", self.f(n)] for n in ("empty", "random", "random_e9", "image_truncated",
                                                 "image_header_only", "csv", "missing", "directory")]
        cases += [["data", "switch", "--slot", v] for v in HUGE + ["2", "16"]]
        cases += [["data", "switch", "--name", n] for n in ("nosuch", "nvs", "factory", "")]
        cases += [["data", "switch"], ["data", "frobnicate"], ["app", "frobnicate"], ["boot", "--frobnicate"]]
        for cmd in cases:
            with self.subTest(cmd=cmd):
                self.assert_fails(cmd[0], "--flash", flash, *cmd[1:])
                self.assertEqual(self.snapshot(flash), before, f"{cmd} changed the device")

    # ---- the frame --------------------------------------------------------------------

    def test_unknown_commands_and_subcommands(self):
        for args in (("frobnicate",), ("image", "frobnicate"), ("image",), ("key",), ("part",), ("fetch",)):
            with self.subTest(args=args):
                r = self.ota(*args)
                self.assertIn(r.returncode, (1, 2))
                self.assertNotIn("Sanitizer", r.stderr_text)


if __name__ == "__main__":
    clitest.main()
