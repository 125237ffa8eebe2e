"""examples/host_update.c (the README's API walkthrough) really updates a device."""
import os
import subprocess

import clitest


CSV = """# Name, Type, SubType, Offset, Size
nvs,      data, nvs,     ,        0x4000,
otadata,  data, ota,     ,        0x2000,
phy_init, data, phy,     ,        0x1000,
factory,  app,  factory, ,        1M,
ota_0,    app,  ota_0,   ,        1M,
ota_1,    app,  ota_1,   ,        1M,
"""


class HostUpdateExample(clitest.CliTest):
    def test_update_then_boot_new_slot(self):
        d = self.tmpdir()
        example = os.path.join(os.path.dirname(clitest.OTA), "examples", "host_update")
        if not os.path.exists(example):  # the asan CLI lives in build/asan/
            example = os.path.join(os.path.dirname(clitest.OTA), "..", "examples", "host_update")
        csv = os.path.join(d, "t.csv")
        with open(csv, "w") as f:
            f.write(CSV)
        v1, v2, flash = (os.path.join(d, n) for n in ("v1.bin", "v2.bin", "flash.bin"))
        for path, ver in ((v1, "1.0.0"), (v2, "2.0.0")):
            self.ota("image", "pack", "-o", path, "--chip", "esp32", "--project", "demo",
                     "--version", ver, "--size", "64K", check=0)
        self.ota("flash", "create", "-o", flash, "--size", "4MB", "--table", csv,
                 "--write", f"factory={v1}", check=0)
        r = subprocess.run([example, flash, v2], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("running factory", r.stdout)
        self.assertIn("next boot: ota_0", r.stdout)
        boot = self.ota("boot", "--flash", flash, "--json", check=0)
        self.assertIn('"partition": "ota_0"', boot.stdout_text)
        self.assertIn("2.0.0", boot.stdout_text)


if __name__ == "__main__":
    clitest.main()
