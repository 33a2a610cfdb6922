"""trotsky-tei serve and build --watch, as short-lived subprocesses: the site on 127.0.0.1, rebuilt on save."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _sitekit import FIXTURE

SCRIPT = "import sys\nfrom trotsky_tei.cli import main\nsys.exit(main(sys.argv[1:]))\n"
LETTER = "letters/1930-01-01-trotsky-to-odd.xml"


def _wait_for(predicate, seconds: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """The CLI with `args` in a process of its own, its standard error written to `log`."""
    with open(log, "w", encoding="utf-8") as err:
        return subprocess.Popen([sys.executable, "-c", SCRIPT, *args], stdout=subprocess.DEVNULL, stderr=err)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person ends it; killed if it does not end."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.timeout(120)
def test_serve_previews_the_site_on_loopback_and_rebuilds_on_save(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    log = tmp_path / "serve.log"
    proc = _start(["serve", str(corpus), "--port", "0", "--jobs", "1", "-o", str(tmp_path / "out")], log)
    try:
        assert _wait_for(lambda: "serving http://127.0.0.1:" in log.read_text(encoding="utf-8")), log.read_text(encoding="utf-8")
        port = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]
        index = urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10).read().decode("utf-8")
        assert "<html" in index
        letter = corpus / LETTER
        letter.write_text(letter.read_text(encoding="utf-8").replace("bleibt Text", "bleibt Text, neu gespeichert"), encoding="utf-8")

        def rebuilt() -> bool:
            pages = (tmp_path / "out" / "site" / "letters").glob("*.html")
            return any("neu gespeichert" in p.read_text(encoding="utf-8") for p in pages)

        assert _wait_for(rebuilt), log.read_text(encoding="utf-8")[-2000:]
        page = next(p.name for p in (tmp_path / "out" / "site" / "letters").glob("*.html") if "neu gespeichert" in p.read_text(encoding="utf-8"))
        served = urllib.request.urlopen(f"http://127.0.0.1:{port}/letters/{page}", timeout=10).read().decode("utf-8")
        assert "neu gespeichert" in served
    finally:
        _stop(proc)


@pytest.mark.timeout(120)
def test_build_watch_builds_again_when_a_letter_changes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    out = tmp_path / "edition"
    log = tmp_path / "watch.log"
    proc = _start(["build", str(corpus), "-o", str(out), "--no-pdf", "--jobs", "1", "--watch"], log)
    try:
        assert _wait_for(lambda: "watching" in log.read_text(encoding="utf-8")), log.read_text(encoding="utf-8")
        letter = corpus / LETTER
        letter.write_text(letter.read_text(encoding="utf-8").replace("bleibt Text", "bleibt Text, beobachtet"), encoding="utf-8")
        assert _wait_for(lambda: any("beobachtet" in p.read_text(encoding="utf-8") for p in (out / "text").glob("*.txt")))
    finally:
        _stop(proc)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell without job control starts `cmd &`


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT-inherited-ignored", "SIGTERM"])
def test_serve_ends_cleanly_on_a_signal_and_removes_its_temporary_folder(tmp_path: Path, sig: int) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    temp = tmp_path / "tmp"
    temp.mkdir()
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "serve", str(corpus), "--port", "0", "--jobs", "1"],
            stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "TMPDIR": str(temp)},
            preexec_fn=_ignore_sigint if sig == signal.SIGINT else None,  # noqa: PLW1509 - a test's one child
        )
    try:
        assert _wait_for(lambda: "serving http://127.0.0.1:" in log.read_text(encoding="utf-8")), log.read_text(encoding="utf-8")
        assert any(p.name.startswith("trotsky-tei-serve-") for p in temp.iterdir())
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, log.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not any(p.name.startswith("trotsky-tei-serve-") for p in temp.iterdir()), "the temporary build is left behind"
