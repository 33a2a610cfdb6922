"""The static HTML edition: pages, links, escaping, navigation, modes, templates, validity, reproducibility."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest
from _sitekit import CORPUS, FIXTURE, SHARED_LETTERS, needs_java, tree_bytes, vnu_errors, without_our_scripts

from trotsky_tei.cli import main
from trotsky_tei.errors import OutputError, UsageError
from trotsky_tei.render.collect import collect, safe_url
from trotsky_tei.render.search import search_available
from trotsky_tei.render.site import SITE_MARKER, claim_output_dir, export_site, without_heading


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    export_site(collect([str(FIXTURE)]), out)
    return out


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_every_page_is_written(site: Path) -> None:
    files = {f for f in tree_bytes(site) if not f.startswith("pagefind/")}  # the search index: tests/test_search.py
    if search_available():
        files.remove("search.html")
    assert files == {
        SITE_MARKER, "index.html", "about.html", "concordance.html", "persons.html", "places.html", "orgs.html",
        "style.css", "print.css", "letters/l1.html", "letters/l2.html", "letters/l3.html",
        "letters/l1.xml", "letters/l2.xml", "letters/l3.xml",  # each letter's TEI source beside its page
        "timeline.html", "years/1929.html", "years/1930.html",
        "correspondences.html", "correspondences/trotsky--overstraeten.html", "correspondences/evil--trotsky.html",
    }  # no sitemap.xml: the fixture edition declares no base URL


def test_index_lists_letters_in_date_order_with_metadata(site: Path) -> None:
    index = page(site, "index.html")
    positions = [index.index(f'href="letters/{slug}.html"') for slug in ("l1", "l2", "l3")]
    assert positions == sorted(positions)
    row = index[index.index('<tr><td><time datetime="1929-04-30">30 April 1929</time>'):].split("</tr>")[0]
    assert 'href="persons.html#trotsky"' in row and 'href="persons.html#overstraeten"' in row
    assert 'href="places.html#prinkipo"' in row
    assert "Houghton Library, MS Russ 13.1 (10708)" in row


def test_letter_page_has_landmarks_lang_and_heading_order(site: Path) -> None:
    html = page(site, "letters/l3.html")
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert '<html lang="en">' in html
    assert 'lang="de"' in html  # the letter's own language on its text
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_footnotes_link_both_ways(site: Path) -> None:
    html = page(site, "letters/l1.html")
    for n in (1, 2):
        assert f'href="#note-{n}"' in html and f'id="note-{n}"' in html
        assert f'href="#noteref-{n}"' in html and f'id="noteref-{n}"' in html


def test_apparatus_and_both_readings(site: Path) -> None:
    html = page(site, "letters/l1.html")
    assert '<section class="apparatus"' in html
    assert "another reading" in html and '<span class="siglum">B</span>' in html
    diplomatic_view = re.search(r'view-diplomatic"( data-pagefind-ignore)? aria-label', html)  # (left out of the search index)
    assert diplomatic_view is not None
    reading = html[html.index("view-reading\""):diplomatic_view.start()]
    assert "received" in reading and "recieved" not in reading
    diplomatic = html[diplomatic_view.start():html.index('<section class="notes"')]
    assert "recieved" in diplomatic
    assert html.count('id="view-reading"') == 1  # the CSS-only switch
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_mode_reading_has_no_switch(tmp_path: Path) -> None:
    export_site(collect([str(FIXTURE)]), tmp_path / "r", mode="reading")
    html = (tmp_path / "r" / "letters" / "l1.html").read_text(encoding="utf-8")
    assert "view-radio" not in html and "recieved" not in html.split('<section class="apparatus"')[0]


def test_mode_diplomatic_shows_original_readings(tmp_path: Path) -> None:
    export_site(collect([str(FIXTURE)]), tmp_path / "d", mode="diplomatic")
    html = (tmp_path / "d" / "letters" / "l1.html").read_text(encoding="utf-8")
    text = html[html.index('id="h-text"'):html.index('<section class="notes"')]
    assert "recieved" in text and "received" not in text


def test_previous_and_next_overall_and_in_correspondence(site: Path) -> None:
    first, second, third = (page(site, f"letters/l{n}.html") for n in (1, 2, 3))
    assert "Previous letter" not in first
    assert 'Next letter: <a href="../letters/l2.html" rel="next">' in first
    assert 'Next letter in this correspondence: <a href="../letters/l2.html">' in first
    assert 'Previous letter in this correspondence: <a href="../letters/l1.html">' in second
    assert 'Next letter: <a href="../letters/l3.html" rel="next">' in second
    assert "Next letter in this correspondence" not in second  # l3 is another correspondence
    assert 'Previous letter: <a href="../letters/l2.html" rel="prev">' in third
    assert "in this correspondence" not in third


def test_registers_list_letters_and_authority_links(site: Path) -> None:
    persons = page(site, "persons.html")
    marx = persons[persons.index('id="marx"'):].split("</section>")[0]
    assert 'href="https://www.wikidata.org/wiki/Q9061"' in marx
    assert 'href="https://viaf.org/viaf/49228757"' in marx
    assert 'href="https://d-nb.info/gnd/118578537"' in marx
    assert "javascript" not in marx  # an idno of unknown type that is not a URL is not shown as a link
    assert 'href="letters/l1.html"' in marx and "Mentioned in" in marx
    trotsky = persons[persons.index('id="trotsky"'):].split("</section>")[0]
    assert trotsky.index("Letters from") < trotsky.index("l1.html") < trotsky.index("Letters to") < trotsky.index("l2.html")
    assert 'href="https://www.geonames.org/750516"' in page(site, "places.html")
    orgs = page(site, "orgs.html")
    assert 'id="bcp"' in orgs and 'id="houghton"' in orgs


def test_concordance_orders_items_naturally(site: Path) -> None:
    conc = page(site, "concordance.html")
    assert conc.index(">780a<") < conc.index(">10708<") < conc.index(">10709<")
    assert 'href="https://id.lib.harvard.edu/ead/hou00301/catalog"' in conc


def test_about_page_from_edition_metadata(site: Path) -> None:
    about = page(site, "about.html")
    assert "<h2>About the fixture</h2>" in about
    assert "This edition exists to test the site export &lt;safely&gt;." in about
    assert "<li>First point</li><li>Second point</li>" in about
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in about
    assert "Ada Editor" in about and "Fixture Press" in about


def test_about_page_says_its_heading_once(tmp_path: Path) -> None:
    """The corpus's edition.xml opens its about text with "About this edition", the page's own heading: said once."""
    export_site(collect([str(CORPUS)]), tmp_path / "s")
    about = (tmp_path / "s" / "about.html").read_text(encoding="utf-8")
    main = about[about.index("<main"):about.index("</main>")]
    assert main.count("About this edition") == 1 and "<h1>About this edition</h1>" in main
    assert "This is a digital edition of letters written by Leon Trotsky" in about


def test_without_heading_drops_only_a_first_heading_equal_to_the_pages() -> None:
    prose = "<h2>About  this\nEdition</h2>\n<p>Text.</p>\n<h2>About this edition</h2>"
    assert without_heading(prose, "About this edition") == "<p>Text.</p>\n<h2>About this edition</h2>"
    assert without_heading("<h2>About the fixture</h2>\n<p>x</p>", "About this edition") == "<h2>About the fixture</h2>\n<p>x</p>"
    assert without_heading("<p>x</p><h2>About this edition</h2>", "About this edition") == "<p>x</p><h2>About this edition</h2>"
    assert without_heading("<h2>About &amp; this edition</h2>", "About & this edition") == ""


def test_every_text_is_escaped_and_bad_urls_are_not_links(site: Path) -> None:
    for rel, data in tree_bytes(site).items():
        if not rel.endswith(".html"):
            continue
        html = without_our_scripts(data.decode("utf-8"))
        assert "<script" not in html, rel
        assert "javascript:" not in html, rel
        assert "<odd>" not in html, rel
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien" in page(site, "persons.html")
    assert "Trotsky to an &lt;odd&gt; correspondent, 1930" in page(site, "index.html")
    l1 = page(site, "letters/l1.html")
    assert '<span class="ref">that must not be a link</span>' in l1
    assert 'href="https://example.org/a?b=1&amp;c=2"' in l1


@pytest.mark.parametrize(
    "url, ok",
    [("https://x.org/", True), ("http://x.org", True), ("mailto:a@b.org", True), ("../persons.html#a", True),
     ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("data:text/html,x", False), ("file:///etc/passwd", False),
     ("vbscript:x", False), ("", False), (None, False), ("http://x.org/\nfoo", False)],
)
def test_safe_url(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_templates_can_be_overridden_file_by_file(tmp_path: Path) -> None:
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "base.html").write_text(
        '<!DOCTYPE html><html lang="{{ lang }}"><head><title>{{ page_title }}</title></head><body><header>{{ edition.title }}</header>'
        "<nav>{% for item in nav %}<a href='{{ root }}{{ item.href }}'>{{ item.label }}</a>{% endfor %}</nav>"
        "<main>{% block main %}{% endblock %}</main><footer>CUSTOM</footer></body></html>\n",
        encoding="utf-8",
    )
    (tpl / "letter.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ title }}</h1><p class="mine">{{ citation }}</p>{{ article.body }}{% endblock %}',
        encoding="utf-8")
    (tpl / "style.css").write_text("body { color: black; }\n", encoding="utf-8")
    export_site(collect([str(FIXTURE)]), tmp_path / "out", templates=tpl, search=False)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<footer>CUSTOM</footer>" in index and "Letters in date order" in index  # our index.html in their shell
    letter = (tmp_path / "out" / "letters" / "l3.html").read_text(encoding="utf-8")
    assert '<p class="mine">' in letter and "Trotsky to an &lt;odd&gt; correspondent" in letter  # data stays escaped
    assert (tmp_path / "out" / "style.css").read_text(encoding="utf-8") == "body { color: black; }\n"
    assert "print" in (tmp_path / "out" / "print.css").read_text(encoding="utf-8")  # not overridden: bundled
    if search_available():  # their letter.html has no data-pagefind-body: nothing to index, and they are told why
        with pytest.raises(UsageError, match="data-pagefind-body"):
            export_site(collect([str(FIXTURE)]), tmp_path / "out1", templates=tpl)
    (tpl / "letter.html").write_text("{% extends 'base.html' %}\n{% block main %}{{ nonsense }}{% endblock %}", encoding="utf-8")
    with pytest.raises(UsageError, match="letter.html.*nonsense"):
        export_site(collect([str(FIXTURE)]), tmp_path / "out2", templates=tpl)
    (tpl / "letter.html").write_text("{% extends 'base.html' %}\n{% block main %}{% if %}{% endblock %}", encoding="utf-8")
    with pytest.raises(UsageError, match=r"letter.html, line 2"):
        export_site(collect([str(FIXTURE)]), tmp_path / "out3", templates=tpl)


def test_an_old_string_template_page_shell_is_refused_with_what_to_do(tmp_path: Path) -> None:
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "page.html").write_text("<html>$main</html>", encoding="utf-8")
    with pytest.raises(UsageError, match="base.html"):
        export_site(collect([str(FIXTURE)]), tmp_path / "out", templates=tpl)


def test_refuses_a_non_empty_folder_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="--force"):
        claim_output_dir(out, SITE_MARKER, force=False)
    assert main(["export", "html", str(FIXTURE), "-o", str(out)]) == 2
    assert not (out / "index.html").exists()
    assert main(["export", "html", str(FIXTURE), "-o", str(out), "--force"]) == 0
    assert (out / "index.html").is_file() and (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert main(["export", "html", str(FIXTURE), "-o", str(out)]) == 0  # ours now (marker file)


def test_reproducible_bytes(tmp_path: Path) -> None:
    export_site(collect([str(FIXTURE)]), tmp_path / "a")
    export_site(collect([str(FIXTURE)]), tmp_path / "b")
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a == b and len([f for f in a if not f.startswith("pagefind/")]) == 21 + search_available()


def test_cli_export_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "html", str(FIXTURE), "-o", str(tmp_path / "s"), "--mode", "reading"]) == 0
    assert "3 letters" in capsys.readouterr().err
    assert main(["export", "html", str(FIXTURE), "-o", str(tmp_path / "s"), "--mode", "nonsense"]) == 2


@needs_java
def test_nu_html_checker_finds_no_errors(site: Path) -> None:
    assert vnu_errors(site) == []


@needs_java
@pytest.mark.skipif(not (CORPUS / "letters").is_dir(), reason="the project corpus is not in this checkout")
def test_corpus_site_is_valid_html(tmp_path: Path) -> None:
    export_site(collect([str(CORPUS)]), tmp_path / "site")
    assert vnu_errors(tmp_path / "site") == []


@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", ["calvin-lettres", "schnitzler-briefe", "tei-sig-correspdesc"])
def test_real_letters_export_without_a_crash(tmp_path: Path, edition: str) -> None:
    src = SHARED_LETTERS / edition
    if not src.is_dir():
        pytest.skip(f"{edition} is absent")
    data = collect([str(src)])
    written, _warnings = export_site(data, tmp_path / "site")
    assert len([w for w in written if w.startswith("letters/") and w.endswith(".html")]) == len(data.letters) > 0
    for info in data.letters[:5]:  # the letter's text reached its page
        html = (tmp_path / "site" / "letters" / f"{info.slug}.html").read_text(encoding="utf-8")
        assert '<section class="text-block"' in html
    shutil.rmtree(tmp_path / "site")


def test_corpus_call_number_links_to_the_finding_aid(tmp_path: Path) -> None:
    export_site(collect([str(CORPUS)]), tmp_path / "site")
    aid = 'href="https://id.lib.harvard.edu/ead/hou00301/catalog"'
    letter_page = next((tmp_path / "site" / "letters").glob("*1929-04-30*.html")).read_text(encoding="utf-8")
    assert re.search(aid + r'[^>]*>Houghton Library, MS Russ 13\.1 \(10708\)</a>', letter_page)
    for rel in ("index.html", "concordance.html"):
        page_text = (tmp_path / "site" / rel).read_text(encoding="utf-8")
        assert aid in page_text
        assert "(collection inferred, certainty: medium)" in page_text  # the encoder's @cert is said, not hidden


def test_page_lang_is_always_a_registered_tag(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    ed = corpus / "edition.xml"
    ed.write_text(ed.read_text(encoding="utf-8").replace('<text xml:lang="en">', '<text xml:lang="eng">'), encoding="utf-8")
    odd = corpus / "letters" / "1930-01-01-trotsky-to-odd.xml"
    odd.write_text(odd.read_text(encoding="utf-8").replace('<text xml:lang="de">', '<text xml:lang="latinq">'), encoding="utf-8")
    export_site(collect([str(corpus)]), tmp_path / "site")
    pages = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html")}
    shells = {name: re.search(r'<html lang="([^"]*)"', text).group(1) for name, text in pages.items()}  # type: ignore[union-attr]
    assert set(shells.values()) == {"en"}  # the edition's "eng" as BCP 47, on every page shell
    every = {v for text in pages.values() for v in re.findall(r'\blang="([^"]*)"', text)}
    assert "latinq" not in every and "eng" not in every  # not tags: never written
    assert 'lang="fr"' in pages["l2.html"]  # the French letter keeps its language


def test_people_named_in_the_credits_list_their_letters(tmp_path: Path) -> None:
    export_site(collect([str(CORPUS)]), tmp_path / "site")
    persons = (tmp_path / "site" / "persons.html").read_text(encoding="utf-8")
    entry = persons[persons.index('id="crawford"'):]
    entry = entry[: entry.index("</section>")]
    assert "Credited in:" in entry and "Leon Trotsky to W. van Overstraeten, 30 April 1929" in entry
    trotsky = persons[persons.index('id="trotsky"'):]
    assert "Credited in:" not in trotsky[: trotsky.index("</section>")]  # the author is the sender, not a credit
