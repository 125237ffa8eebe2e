"""The CLI frame: help, unknown commands, version."""
import clitest


class CliBasics(clitest.CliTest):
    def test_help_lists_commands(self):
        r = self.ota("--help", check=0)
        self.assertIn("usage: ota COMMAND", r.stdout_text)

    def test_no_args_is_usage_error(self):
        r = self.ota(check=2)
        self.assertIn("usage", r.stderr_text)

    def test_unknown_command_one_line(self):
        r = self.ota("frobnicate", check=2)
        self.assertEqual(r.stderr_text.count("\n"), 1)
        self.assertIn("unknown command 'frobnicate'", r.stderr_text)

    def test_version(self):
        r = self.ota("version", check=0)
        self.assertTrue(r.stdout_text.startswith("ota (libota) "))


if __name__ == "__main__":
    clitest.main()
