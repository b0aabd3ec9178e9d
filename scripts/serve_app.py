"""`make app`: serve the assumptions explorer with Voila (code hidden) on 127.0.0.1.

Prints the URL with its access token; Ctrl-C stops the server (and its kernels) cleanly.

    python scripts/serve_app.py [--port 8866]      (make app [PORT=8866])

The port is fixed and documented, 8866 unless given, so a bookmark keeps working; when another
program already holds it the script says so and exits 2 instead of picking another one quietly.

The explorer opens on the notebook's parameters (notebooks/explore_assumptions.ipynb); its own
pickers change the appraisal, option, stage and comparison.

Only the loopback interface is used: for a meeting, share the screen, not the port.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = PROJECT_ROOT / "notebooks" / "explore_assumptions.ipynb"
HOST = "127.0.0.1"
DEFAULT_PORT = 8866  # Voila's own default: `make app` always serves here unless PORT= is given


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something already listens on ``HOST:port`` (or the port cannot be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return True
    return False


def voila_command(port: int, token: str, notebook: Path = NOTEBOOK) -> list[str]:
    """The Voila command line: loopback only, no browser, sources stripped (code hidden), a token."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--Voila.ip={HOST}", f"--port={port}",
            f"--token={token}", "--Voila.port_retries=0", "--strip_sources=True", "--show_tracebacks=False"]


def app_url(port: int, token: str) -> str:
    return f"http://{HOST}:{port}/?{urllib.parse.urlencode({'token': token})}"


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Wait until Voila listens on the port (or the process dies, or ``timeout`` passes).

    A TCP connection, not a page request: requesting the page would start a kernel."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop Voila by its PID: SIGTERM (Voila then shuts its kernels down and removes its files), SIGKILL if stuck."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=DEFAULT_PORT,
                    help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free one)")
    args = ap.parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"--port {args.port}: not a port number; use 1024 to 65535 (or 0 for any free one)", file=sys.stderr)
        return 2
    port = args.port or free_port()
    if port_in_use(port):
        print(f"Port {port} on {HOST} is already in use (another explorer, or another program): stop it, or "
              f"serve on another port with `make app PORT={port + 1}` (python scripts/serve_app.py --port "
              f"{port + 1}).", file=sys.stderr)
        return 2
    # A SIGTERM (e.g. from a process manager) stops the server as Ctrl-C does, through the finally below.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (a `&` job)
    token = secrets.token_urlsafe(18)
    # Its own session: a Ctrl-C in the terminal reaches this script only, which then stops Voila once, cleanly.
    proc = subprocess.Popen(voila_command(port, token), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        if not wait_until_up(port, proc):
            print(f"Voila did not start (exit code {proc.poll()}); see the messages above.", file=sys.stderr)
            return 1
        print(f"\nThe assumptions explorer is served at\n\n    {app_url(port, token)}\n\n"
              f"(Voila PID {proc.pid}; Ctrl-C to stop.)", flush=True)
        while proc.poll() is None:
            time.sleep(0.5)
        return proc.returncode or 0
    except KeyboardInterrupt:
        print("\nStopping the explorer...", flush=True)
        return 0
    finally:
        stop(proc)


if __name__ == "__main__":
    sys.exit(main())
