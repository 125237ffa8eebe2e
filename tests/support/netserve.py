"""Test servers for programs that are not Python (the cmocka tests, the demo).

    python3 netserve.py DIR

serves the files of DIR from a FaultServer and from nginx (HTTP and HTTPS),
prints one `name value` line each:
    fault URL-PREFIX     http://127.0.0.1:P  (the fault-injecting server)
    http URL-PREFIX      nginx over HTTP
    https URL-PREFIX     nginx over HTTPS
    ca PATH              the CA that signed nginx's certificate
    wrong_ca PATH        an unrelated CA (verification with it must fail)
    pin SHA256-PIN       nginx's public key, for CURLOPT_PINNEDPUBLICKEY
then `ready`, and obeys one command per line on stdin, answering `ok`:
    reset                fault server: no faults, request log cleared
    cuts N[,N...]        fault server: cut request i after N[i] body bytes
    ignore_range 0|1     fault server: answer Range requests with 200
    status N             fault server: answer every request with status N (0: normal)
    stall N              fault server: every request sends N body bytes, then nothing
    requests             prints `requests R0 R1 ...`: the Range header of each
                         request ("-" for none)
It stops both servers and exits at `quit`, at end of input (so it never
outlives its parent), or after LIFETIME_S seconds in any case.
"""
import os
import sys
import threading

from faultserver import FaultServer
from nginxserver import Nginx

LIFETIME_S = 300


def _images(directory):
    images = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as f:
            images["/" + name] = f.read()
    return images


class _Always(dict):
    """A stalls table that holds for every request index."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def get(self, key, default=None):
        return self.value


def _reset(srv):
    srv.cuts, srv.ignore_range, srv.status, srv.stalls = [], False, None, {}
    srv.requests = []


def _command(srv, words):
    cmd, args = words[0], words[1:]
    if cmd == "reset":
        _reset(srv)
    elif cmd == "cuts":
        srv.cuts = [int(n) for n in args[0].split(",")]
    elif cmd == "ignore_range":
        srv.ignore_range = args[0] == "1"
    elif cmd == "status":
        srv.status = int(args[0]) or None
    elif cmd == "stall":
        srv.stalls = _Always(int(args[0]))
    elif cmd == "requests":
        print("requests", *[(r["range"] or "-").replace(" ", "") for r in srv.requests])
    else:
        raise ValueError(f"unknown command {cmd!r}")


def main():
    directory = sys.argv[1]
    # the watchdog: end even if the parent neither quits nor closes our stdin
    watchdog = threading.Timer(LIFETIME_S, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    with FaultServer(_images(directory)) as srv, Nginx(directory) as nginx:
        print("fault", f"http://127.0.0.1:{srv.port}")
        print("http", f"http://127.0.0.1:{nginx.http_port}")
        print("https", f"https://127.0.0.1:{nginx.https_port}")
        print("ca", nginx.certs.ca)
        print("wrong_ca", nginx.certs.wrong_ca)
        print("pin", nginx.certs.pin)
        print("ready", flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            _command(srv, words)
            print("ok", flush=True)


if __name__ == "__main__":
    main()
