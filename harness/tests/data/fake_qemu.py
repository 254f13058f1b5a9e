"""A stand-in for qemu-system-x86_64 used by the runner tests.

Ignores QEMU's options except ``-D <log>`` and ``-d <items>``.  Driven by env:
    FAKE_SERIAL     file whose content is written to stdout ("serial")
    FAKE_EXIT       exit status (default 33)
    FAKE_HANG       "1": sleep forever after the output; "ignore-term": also ignore SIGTERM
    FAKE_PIDFILE    write our pid here first
    FAKE_ARGV       write our argument list here (one per line)
    FAKE_STDERR     text to write to stderr
    FAKE_DEBUG_LOG  file copied to the -D log (FAKE_INT_LOG instead when -d has "int")
"""

import os
import shutil
import signal
import sys
import time

args = sys.argv[1:]
env = os.environ.get
if env("FAKE_PIDFILE"):
    with open(env("FAKE_PIDFILE"), "w") as f:
        f.write(str(os.getpid()))
if env("FAKE_ARGV"):
    with open(env("FAKE_ARGV"), "w") as f:
        f.write("\n".join(args))
if env("FAKE_HANG") == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

debug_items = args[args.index("-d") + 1] if "-d" in args else ""
source = env("FAKE_INT_LOG") if "int" in debug_items.split(",") else env("FAKE_DEBUG_LOG")
if source and "-D" in args:
    shutil.copyfile(source, args[args.index("-D") + 1])

if env("FAKE_STDERR"):
    sys.stderr.write(env("FAKE_STDERR"))
    sys.stderr.flush()
if env("FAKE_SERIAL"):
    with open(env("FAKE_SERIAL"), "rb") as f:
        sys.stdout.buffer.write(f.read())
    sys.stdout.flush()

if env("FAKE_HANG"):
    while True:
        time.sleep(3600)
sys.exit(int(env("FAKE_EXIT", "33")))
