"""docs/tutorial.md is true: its commands run, in order, in one temporary folder, with the exit status and the
output the tutorial states.

The tutorial marks its blocks with HTML comments on the line before the fence (MkDocs does not show them):

- a ```sh block with no marker is run with `bash -e`; it must exit 0;
- `<!-- tutorial: exit N -->` before a ```sh block: it must exit N;
- `<!-- tutorial: skip REASON -->` before a ```sh block: not run (installing needs the network; the test runs in the
  venv where trotsky-tei is installed, its bin/ first on PATH);
- `<!-- tutorial: serve -->` before a ```sh block: a server that runs until Ctrl-C: started with `--port 0` added,
  its index page fetched, then ended with SIGINT, as a person ends it;
- `<!-- tutorial: file PATH -->` before a ```xml block: written to PATH, as the reader does in an editor;
- `<!-- tutorial: output -->` before a ```text block: every non-blank line of it is a line of what the block before
  printed (stdout and stderr), in order.

The folder holds `trotsky-tei` (a link to this checkout), as the reader's folder holds the checkout beside the corpus.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^(?:<!-- tutorial: (?P<marker>[^\n]*?) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)\n```$", re.S | re.M)


@dataclass
class Block:
    lang: str
    marker: str
    body: str
    line: int


def blocks(text: str) -> list[Block]:
    return [
        Block(m["lang"], (m["marker"] or "").strip(), m["body"], text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text)
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"  # rich's tables at a fixed width, whatever the terminal
    env.pop("TROTSKY_TEI_CACHE_DIR", None)
    return env


def _serve(command: str, cwd: Path) -> None:
    args = [*shlex.split(command), "--port", "0"]
    assert args[0] == "trotsky-tei", command
    log = cwd / "serve.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([str(BIN / "trotsky-tei"), *args[1:]], cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=err)
    try:
        end = time.monotonic() + 60
        while (m := re.search(r"serving http://127\.0\.0\.1:(\d+)/ \(Ctrl-C ends it\)", log.read_text(encoding="utf-8"))) is None:
            assert proc.poll() is None and time.monotonic() < end, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        page = urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/index.html", timeout=10).read().decode("utf-8")
        assert "<html" in page, page[:500]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            status = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    assert status == 0, log.read_text(encoding="utf-8")


def _lines_in_order(expected: str, actual: str) -> bool:
    got = [line.rstrip() for line in actual.splitlines()]
    pos = 0
    for want in (line.rstrip() for line in expected.splitlines() if line.strip()):
        try:
            pos = got.index(want, pos) + 1
        except ValueError:
            return False
    return True


@pytest.mark.timeout(180)
def test_tutorial_commands_run_as_the_tutorial_says(tmp_path: Path) -> None:
    assert (BIN / "trotsky-tei").is_file(), f"trotsky-tei is not installed in {BIN}"
    (tmp_path / "trotsky-tei").symlink_to(REPO, target_is_directory=True)
    ran = 0
    output: str | None = None
    for block in blocks(TUTORIAL.read_text(encoding="utf-8")):
        where = f"docs/tutorial.md:{block.line}"
        if block.lang == "sh":
            output = None
            if block.marker.startswith("skip"):
                assert block.marker[len("skip") :].strip(), f"{where}: a skipped block says why"
                continue
            if block.marker == "serve":
                _serve(block.body.strip(), tmp_path)
                ran += 1
                continue
            expect = 0
            if block.marker:
                m = re.fullmatch(r"exit (\d+)", block.marker)
                assert m, f"{where}: unknown marker {block.marker!r}"
                expect = int(m.group(1))
            proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.body], cwd=tmp_path, env=_env(),
                                  capture_output=True, text=True, timeout=120, check=False)
            output = proc.stdout + proc.stderr
            assert proc.returncode == expect, f"{where}: exit {proc.returncode}, the tutorial says {expect}\n{output}"
            ran += 1
        elif block.marker.startswith("file "):
            target = tmp_path / block.marker[len("file ") :].strip()
            assert target.resolve().is_relative_to(tmp_path.resolve()), where
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body + "\n", encoding="utf-8")
        elif block.marker == "output":
            assert output is not None, f"{where}: output of no command"
            assert _lines_in_order(block.body, output), f"{where}: the command printed\n{output}"
        else:
            assert not block.marker, f"{where}: unknown marker {block.marker!r}"
    assert ran >= 8
    site = tmp_path / "my-edition-site" / "site"
    pages = list((site / "letters").glob("*.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "three" in page and "Lenin" in page


def test_new_writes_the_header_the_tutorial_shows(tmp_path: Path) -> None:
    """The tutorial's file keeps `new`'s header as it was written; only the source and the language are filled in."""
    text = TUTORIAL.read_text(encoding="utf-8")
    shown = next(b.body for b in blocks(text) if b.marker.startswith("file "))
    corpus = tmp_path / "my-edition"
    corpus.mkdir()
    (corpus / "edition.xml").write_bytes((REPO / "corpus" / "edition.xml").read_bytes())
    subprocess.run(["cp", "-r", str(REPO / "corpus" / "registry"), str(corpus)], check=True)
    cmd = next(b.body for b in blocks(text) if b.lang == "sh" and b.body.startswith("trotsky-tei new "))
    subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=_env(), check=True, capture_output=True)
    written = next((corpus / "letters").glob("*.xml")).read_text(encoding="utf-8")
    filled = {
        "<bibl><!-- the source of the text: an edition, a transcription, the original --></bibl>":
            "<bibl>An exercise of the trotsky-tei tutorial, not a letter of Trotsky's: its words are made up.</bibl>",
        '<language ident="en"><!-- the language of the text --></language>': '<language ident="en">English</language>',
    }
    for old, new in filled.items():
        assert old in written, old
        written = written.replace(old, new)
    head = shown[: shown.index("<text")]
    assert written.startswith(head), "the header shown in docs/tutorial.md is no longer what `trotsky-tei new` writes"
