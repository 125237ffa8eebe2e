"""`make demo` (scripts/demo) end to end with this build's CLI: factory v1.0.0 updates over HTTPS
to v2.0.0, then takes v3.0.0, rejects it and rolls back. The script asserts the final otadata
itself; here it must succeed, tell the story, and leave no server running."""
import os
import re
import subprocess

import clitest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "demo")


def processes_mentioning(text):
    r = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True)
    return r.stdout.split()


class Demo(clitest.CliTest):
    def test_demo(self):
        r = subprocess.run([SCRIPT], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "OTA": clitest.OTA})
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertIn("device: running ota_0 version 2.0.0 (installed v2.0.0)", out)
        self.assertIn("device: running ota_0 version 2.0.0 (installed v3.0.0, v3.0.0 rejected, "
                      "rolled back)", out)
        self.assertIn("entry 1: seq 0x00000002  crc 0x55f63774 (ok)  state INVALID", out)
        self.assertIn("Done in ", out)
        prefix = re.search(r"--ca (/\S+)/ca\.pem", out).group(1)  # the demo's nginx lives there
        self.assertEqual(processes_mentioning(prefix), [], "the demo left nginx running")
        self.assertFalse(os.path.exists(prefix))


if __name__ == "__main__":
    clitest.main()
