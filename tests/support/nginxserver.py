"""A real nginx (Debian nginx-light) for the network tests and the demo.

Nginx(root) runs nginx in the foreground (daemon off, one process) with a
temporary prefix and configuration, on two free 127.0.0.1 ports:
  http://127.0.0.1:{http_port}/FILE    and   https://127.0.0.1:{https_port}/FILE
serving the files in `root`; Range requests, ETag and Last-Modified are
nginx's own. HTTPS uses a throw-away CA and a server certificate for
IP:127.0.0.1 made with the openssl CLI (see `certs`). Extra locations:
  /slow/FILE      the same files, 64 KiB at full speed then 256 KiB/s
  /to-https/FILE  (http server)  302 to the https URL of FILE
  /to-http/FILE   (https server) 302 to the http URL of FILE
stop() (or leaving the `with` block) terminates nginx and removes the prefix,
also when the test failed; every wait is bounded.
"""
import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5


def _run(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=30)


class Certs:
    """A test CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA."""

    def __init__(self, directory):
        d = directory
        self.ca = os.path.join(d, "ca.pem")
        self.wrong_ca = os.path.join(d, "wrong-ca.pem")
        self.cert = os.path.join(d, "server.pem")
        self.key = os.path.join(d, "server.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name, cn in (("ca", "libota test CA"), ("wrong-ca", "libota unrelated CA")):
            _run("openssl", "req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.pem",
                 "-days", "2", "-subj", f"/CN={cn}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        _run("openssl", "req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=d)
        with open(os.path.join(d, "server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        _run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
             "-extfile", "server.ext", "-out", "server.pem", cwd=d)
        der = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True, timeout=30).stdout
        # the form curl's CURLOPT_PINNEDPUBLICKEY takes
        self.pin = "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(prefix, root, certs, http_port, https_port):
    slow = (f"location /slow/ {{ alias {root}/; limit_rate_after 64k; limit_rate 256k; }}")
    temp = "\n".join(f"  {kind}_temp_path {prefix}/tmp-{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {prefix}/access.log;
{temp}
  default_type application/octet-stream;
  keepalive_timeout 5s;
  server {{
    listen 127.0.0.1:{http_port};
    root {root};
    {slow}
    location /to-https/ {{ rewrite ^/to-https/(.*)$ https://127.0.0.1:{https_port}/$1 redirect; }}
  }}
  server {{
    listen 127.0.0.1:{https_port} ssl;
    ssl_certificate {certs.cert};
    ssl_certificate_key {certs.key};
    root {root};
    {slow}
    location /to-http/ {{ rewrite ^/to-http/(.*)$ http://127.0.0.1:{http_port}/$1 redirect; }}
  }}
}}
"""


class Nginx:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.prefix = None
        self.proc = None
        self.certs = None
        self.http_port = self.https_port = None

    def http_url(self, path):
        return f"http://127.0.0.1:{self.http_port}/{path.lstrip('/')}"

    def https_url(self, path):
        return f"https://127.0.0.1:{self.https_port}/{path.lstrip('/')}"

    def start(self):
        self.prefix = tempfile.mkdtemp(prefix="ota-nginx-")
        try:
            self.certs = Certs(self.prefix)
            for _ in range(3):  # a free port may be taken by someone else before nginx binds it
                if self._try_start():
                    return self
            raise RuntimeError("nginx did not start:\n" + self._error_log())
        except BaseException:
            self.stop()
            raise

    def _try_start(self):
        self.http_port, self.https_port = _free_port(), _free_port()
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(_config(self.prefix, self.root, self.certs, self.http_port, self.https_port))
        self.proc = subprocess.Popen([NGINX, "-p", self.prefix, "-c", conf, "-e",
                                      os.path.join(self.prefix, "error.log")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if all(self._listening(p) for p in (self.http_port, self.https_port)):
                return True
            time.sleep(0.05)
        self._terminate()
        return False

    @staticmethod
    def _listening(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def _error_log(self):
        try:
            with open(os.path.join(self.prefix, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    def _terminate(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)  # fast shutdown
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.proc = None

    def stop(self):
        self._terminate()
        if self.prefix:
            shutil.rmtree(self.prefix, ignore_errors=True)
            self.prefix = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
