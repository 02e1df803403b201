"""`mailsim serve`: options, errors at start, and a plain install from another folder."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, free_port, start_server


def run_cli(*args, cwd=ROOT, timeout=30):
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_smtp_port_off_reports_no_smtp_port(tmp_path):
    server = start_server(tmp_path, "--smtp-port", "off")
    try:
        assert server.health()["ports"]["smtp"] is None
    finally:
        server.stop()


def test_teacher_key_is_created_once_and_printed_once(tmp_path):
    server = start_server(tmp_path)
    server.stop()
    first = server.output.read_text()
    key = (tmp_path / "data" / "teacher.key").read_text().strip()
    assert key and key in first
    again = start_server(tmp_path)
    again.stop()
    assert key not in again.output.read_text()
    assert (tmp_path / "data" / "teacher.key").read_text().strip() == key


def test_smtp_port_in_use_fails_with_a_clear_message(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        out = run_cli("serve", "--port", str(free_port()), "--smtp-port", str(busy),
                      "--pop3-port", "0", "--imap-port", "0", "--data", str(tmp_path))
    assert out.returncode == 2 and "cannot listen for SMTP" in out.stderr


def test_bad_fault_plan_file_fails_with_the_field(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"stage": "RCPT", "reply": 999}]}))
    out = run_cli("serve", "--port", str(free_port()), "--pop3-port", "0", "--imap-port", "0",
                  "--faults", str(plan), "--data", str(tmp_path))
    assert out.returncode == 2 and "rules[0]" in out.stderr


def test_fault_plan_file_is_applied_to_the_real_port(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"stage": "greeting", "reply": 421}]}))
    server = start_server(tmp_path, "--faults", str(plan))
    try:
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=5) as c:
            assert c.recv(100).startswith(b"421")
    finally:
        server.stop()


def test_bad_port_argument_is_refused():
    out = run_cli("serve", "--smtp-port", "lots")
    assert out.returncode == 2 and "not a port number" in out.stderr


@pytest.mark.slow
def test_plain_install_from_another_folder_serves_every_page_asset_lesson_and_question(tmp_path):
    # A venv of its own that sees the test environment's packages (Flask and the
    # rest, through a .pth line) but not its editable install of this checkout:
    # a path in a .pth file is only appended to sys.path, its own .pth files
    # (the editable finder) are not read. The wheel is built here, without
    # network, by hatchling from the test extras.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    inner = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    Path(inner, "outer-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(ROOT)],
                   check=True, cwd=tmp_path, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "mailsim"), "serve", "--port", str(port), "--smtp-port", "0",
                             "--pop3-port", "0", "--imap-port", "0", "--data", str(tmp_path / "data")], cwd=elsewhere,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    try:
        base = f"http://127.0.0.1:{port}"
        import time
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assets = [p.relative_to(ROOT).as_posix() for p in (ROOT / "static").rglob("*") if p.is_file()]
        assert assets
        for path in ["/", "/live", "/api/catalogue", "/api/scenarios", "/api/presets"] + ["/" + a for a in assets]:
            with urllib.request.urlopen(base + path, timeout=5) as resp:
                assert resp.status == 200, path
        # every lesson of the course, in both languages (the wheel carries lessons/)
        slugs = [p.stem.split("-", 1)[1] for p in sorted((ROOT / "lessons" / "en").glob("*.md"))]
        assert len(slugs) >= 12
        with urllib.request.urlopen(base + "/lessons", timeout=5) as resp:
            listing = resp.read().decode("utf-8")
        for slug in slugs:
            assert f"/lessons/{slug}" in listing, slug
            for lang in ("en", "ru"):
                req = urllib.request.Request(base + f"/lessons/{slug}/1", headers={"Cookie": f"lang={lang}"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    assert resp.status == 200 and f'lang="{lang}"'.encode() in resp.read(), (slug, lang)
        # and the bank's authored questions (the wheel carries quizzes/)
        authored = sum(p.read_text(encoding="utf-8").count("[[question]]") for p in (ROOT / "quizzes").glob("*.toml"))
        check = subprocess.run([str(venv / "bin" / "mailsim"), "quizzes", "check"], cwd=elsewhere,
                               capture_output=True, text=True, timeout=120)
        assert check.returncode == 0 and f"{authored} authored questions: all valid" in check.stdout, check
        lessons = subprocess.run([str(venv / "bin" / "mailsim"), "lessons", "check"], cwd=elsewhere,
                                 capture_output=True, text=True, timeout=300)
        assert lessons.returncode == 0 and "12" in lessons.stdout, lessons
        # the install really is the wheel's copy, not this checkout
        loc = subprocess.run([str(py), "-c", "import simulator, sys; print(simulator.__file__)"],
                             cwd=elsewhere, capture_output=True, text=True).stdout
        assert str(ROOT) not in loc
    finally:
        proc.terminate()
        proc.wait(10)


def test_pop3_port_in_use_fails_with_a_clear_message(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        out = run_cli("serve", "--port", str(free_port()), "--smtp-port", "0", "--pop3-port", str(busy),
                      "--imap-port", "off", "--data", str(tmp_path))
    assert out.returncode == 2 and "cannot listen for POP3" in out.stderr
