"""scripts/serve_app.py: `make app` serves on a fixed, documented port and says so when the port is taken."""

from __future__ import annotations

import importlib.util
import socket

from asdm_models.reference import PROJECT_ROOT


def _module():
    spec = importlib.util.spec_from_file_location("serve_app", PROJECT_ROOT / "scripts" / "serve_app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_default_port_is_fixed_and_documented():
    app = _module()
    assert app.DEFAULT_PORT == 8866
    assert "port **8866**" in (PROJECT_ROOT / "README.md").read_text()
    assert "PORT ?= 8866" in (PROJECT_ROOT / "Makefile").read_text()
    assert f"--port={app.DEFAULT_PORT}" in app.voila_command(app.DEFAULT_PORT, "t")


def test_a_taken_port_is_a_clear_error_not_another_port(capsys):
    app = _module()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((app.HOST, 0))
        s.listen()
        port = s.getsockname()[1]
        assert app.port_in_use(port)
        assert app.main(["--port", str(port)]) == 2  # before Voila is started
    err = capsys.readouterr().err
    assert f"Port {port} on 127.0.0.1 is already in use" in err and f"make app PORT={port + 1}" in err
    assert not app.port_in_use(port)  # free again once the listener closed


def test_a_port_out_of_range_is_refused(capsys):
    assert _module().main(["--port", "70000"]) == 2
    assert "not a port number" in capsys.readouterr().err
