"""A fault-injecting HTTP/1.1 server for the network tests (stdlib only).

It serves images on 127.0.0.1 at an ephemeral port, supports Range requests
(bytes=N- and bytes=N-M) the way a correct server does, and misbehaves on demand. Every wait is bounded
and stop() (or leaving the `with` block) ends every connection and thread.

    with FaultServer({"/app.bin": [image_v1, image_v2]}) as srv:
        srv.cuts = [1000, 5000]   # request 0 cut after 1000 body bytes, request 1 after 5000
        url = srv.url("/app.bin")
        ...
        srv.requests              # what was asked and answered, in order

Behaviour knobs (plain attributes, may be changed while running):
  cuts            list: body bytes sent by request i before the connection is closed
                  (None or past the end of the list: no cut)
  stalls          dict {request index: body bytes}: send headers and that many body
                  bytes, then nothing until the server stops
  version_of      function(request index) -> index into the path's list of versions
                  (each version has its own ETag, Last-Modified and body)
  trickle         seconds between single body bytes (None: full speed)
  ignore_range    answer 200 with the whole image to Range requests
  bad_content_range  answer Range requests with a Content-Range one byte off
  status          answer every request with this status (e.g. 404, 500)
  length_delta    Content-Length = real body length + delta (body unchanged)
  garbage         send pseudo-random bytes (first byte never 0xE9) instead of the image
  validators      send ETag and Last-Modified (default True)
Paths under /r/ answer 302 to the same path without the /r/ prefix.
"""
import email.utils
import http.server
import random
import re
import threading
import time

STALL_LIMIT_S = 30  # a stalled or trickling handler gives up after this long even without stop()
SOCKET_TIMEOUT_S = 10
CHUNK = 16384


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.server.owner._serve(self)


class FaultServer:
    def __init__(self, images):
        """images: {path: bytes or [bytes, ...]} (a list gives versions for version_of)."""
        self.images = {p: (v if isinstance(v, list) else [v]) for p, v in images.items()}
        self.cuts = []
        self.stalls = {}
        self.trickle = None
        self.version_of = lambda index: 0
        self.ignore_range = False
        self.bad_content_range = False
        self.status = None
        self.length_delta = 0
        self.garbage = False
        self.validators = True
        self.requests = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = False  # server_close() joins the handlers
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if not self._httpd:
            return
        self._stop.set()  # releases stalled handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=SOCKET_TIMEOUT_S)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._httpd.server_address[1]

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def sent(self, index):
        """Body bytes sent so far by request `index` (0 if it has not arrived)."""
        with self._lock:
            return self.requests[index]["sent"] if index < len(self.requests) else 0

    # -- answering ---------------------------------------------------------
    def _log(self, handler):
        with self._lock:
            entry = {"path": handler.path, "range": handler.headers.get("Range"),
                     "status": None, "sent": 0}
            self.requests.append(entry)
            return len(self.requests) - 1, entry

    def _serve(self, h):
        index, entry = self._log(h)
        h.close_connection = True
        if h.path.startswith("/r/"):
            return self._answer(h, entry, 302, b"", {"Location": h.path[2:]})
        versions = self.images.get(h.path)
        if self.status is not None or versions is None:
            status = self.status if self.status is not None else 404
            return self._answer(h, entry, status, b"error %d\n" % status, {})
        version = min(self.version_of(index), len(versions) - 1)
        image = versions[version]
        if self.garbage:
            image = bytes([0x5A]) + random.Random(len(image)).randbytes(len(image) - 1)
        headers = self._validators(version)
        status, body = 200, image
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", entry["range"] or "")
        if m and not self.ignore_range:
            start = int(m.group(1))
            end = min(int(m.group(2)) if m.group(2) else len(image) - 1, len(image) - 1)
            if start >= len(image) or end < start:
                return self._answer(h, entry, 416, b"", {"Content-Range": f"bytes */{len(image)}"})
            shift = 1 if self.bad_content_range else 0
            status, body = 206, image[start:end + 1]
            headers["Content-Range"] = f"bytes {start + shift}-{end}/{len(image)}"
        cut = self.cuts[index] if index < len(self.cuts) else None
        return self._answer(h, entry, status, body, headers, cut, self.stalls.get(index))

    def _validators(self, version):
        if not self.validators:
            return {}
        stamp = email.utils.formatdate(1700000000 + 1000 * version, usegmt=True)
        return {"ETag": f'"v{version}-libota"', "Last-Modified": stamp}

    def _answer(self, h, entry, status, body, headers, cut=None, stall=None):
        entry["status"] = status
        h.send_response(status)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body) + self.length_delta))
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Connection", "close")
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        limit = len(body)
        for bound in (cut, stall):
            if bound is not None:
                limit = min(limit, bound)
        step = 1 if self.trickle else CHUNK
        deadline = time.monotonic() + STALL_LIMIT_S
        try:
            for pos in range(0, limit, step):
                h.wfile.write(body[pos:min(pos + step, limit)])
                with self._lock:
                    entry["sent"] = min(pos + step, limit)
                if self.trickle and (self._stop.wait(self.trickle) or time.monotonic() > deadline):
                    return
            if stall is not None:
                h.wfile.flush()
                self._stop.wait(STALL_LIMIT_S)
        except OSError:
            pass  # the client went away: that is what some tests do
