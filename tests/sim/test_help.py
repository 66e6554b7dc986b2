"""vms-sim --help: complete, on stdout, exit 0; a bad flag is named on stderr, exit 2.

The flag list comes from sim/options.c itself (its long_options table), so adding a
flag without documenting it in --help fails this test."""

import os
import re
import subprocess
import unittest

from simlib import VMS_SIM

OPTIONS_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sim", "options.c")
# One row of the getopt_long table: {"name", no_argument|required_argument, NULL, OPT_X}
ROW = re.compile(r'\{\s*"([a-z0-9-]+)"\s*,\s*(no_argument|required_argument|optional_argument)\s*,')


def parsed_flags():
    with open(OPTIONS_C) as f:
        source = f.read()
    table = re.search(r"long_options\[\]\s*=\s*\{(.*?)\n\};", source, re.S)
    if not table:
        raise AssertionError("no long_options table in %s" % OPTIONS_C)
    return ROW.findall(table.group(1))


def run(*args):
    return subprocess.run([VMS_SIM] + list(args), capture_output=True, timeout=10, text=True)


class HelpTests(unittest.TestCase):
    def setUp(self):
        self.help = run("--help")

    def test_help_is_on_stdout_and_exits_0(self):
        self.assertEqual(self.help.returncode, 0, self.help.stderr)
        self.assertEqual(self.help.stderr, "")
        self.assertTrue(self.help.stdout.startswith("usage: vms-sim"), self.help.stdout[:200])

    def test_the_source_table_is_read(self):
        # Guards the parser above: a table it could not read would make the next test vacuous.
        names = [name for name, _ in parsed_flags()]
        self.assertGreaterEqual(len(names), 20, names)
        for expected in ("data-dir", "https", "faults", "help"):
            self.assertIn(expected, names)

    def test_every_parsed_flag_has_an_entry(self):
        lines = self.help.stdout.splitlines()
        for name, arg in parsed_flags():
            entry = [line for line in lines if re.match(r"\s+--%s(\s|$)" % re.escape(name), line)]
            self.assertTrue(entry, "--%s is parsed by options.c but has no entry in --help" % name)
            words = entry[0].split()
            if arg == "required_argument":
                self.assertGreater(len(words), 1, "--%s: its argument is not shown" % name)
                self.assertRegex(words[1], r"^[A-Z][A-Z0-9_:.\[\]a-z]*$", "--%s: argument %r" % (name, words[1]))

    def test_groups_and_admin_api(self):
        for heading in ("State:", "Listeners and TLS", "Users and authentication:", "Limits:",
                        "Faults and latency:", "Admin API"):
            self.assertIn(heading, self.help.stdout)
        for path in ("/_sim/stats", "/_sim/faults", "/_sim/reset", "/_sim/seed", "/_sim/inventory",
                     "/_sim/tokens/expire"):
            self.assertIn(path, self.help.stdout)

    def test_defaults_are_shown(self):
        # The help's defaults are the parser's (shared macros); spot-check the visible text.
        for text in ("default 127.0.0.1:8443", "default admin:123456", "default 5.3.0", "default 16)",
                     "default 1024)", "default 30)"):
            self.assertIn(text, self.help.stdout)

    def test_unknown_flag_is_named_on_stderr_with_status_2(self):
        proc = run("--data-dir", "/nonexistent-vms-sim-dir", "--no-such-flag")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertIn("--no-such-flag", proc.stderr)
        self.assertIn("--help", proc.stderr)

    def test_missing_argument_and_data_dir(self):
        proc = run("--data-dir", "/nonexistent-vms-sim-dir", "--threads")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--threads", proc.stderr)
        proc = run()
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--data-dir is required", proc.stderr)


if __name__ == "__main__":
    unittest.main()
