"""Records to JSON and back (the store's format): the same records, linked to the registry they are read with."""

from __future__ import annotations

import json

from _sitekit import FIXTURE

from trotsky_tei import codec
from trotsky_tei.errors import Diagnostic, Severity
from trotsky_tei.letter_pass import LetterMeta
from trotsky_tei.render.collect import LetterInfo, collect


def test_records_come_back_the_same_and_share_the_registry_entries() -> None:
    data = collect([str(FIXTURE)])
    assert data.letters
    for info in data.letters:
        text = codec.dumps(info)
        back = codec.decode(LetterInfo, json.loads(text), data.registry)
        assert back == info
        for (_, ours), (_, theirs) in zip(back.senders, info.senders, strict=True):
            assert ours is theirs  # the registry's own entry, not a copy


def test_an_entry_the_registry_no_longer_has_comes_back_as_none() -> None:
    data = collect([str(FIXTURE)])
    info = next(i for i in data.letters if any(e is not None for _, e in i.senders))
    back = codec.decode(LetterInfo, json.loads(codec.dumps(info)), None)
    assert all(e is None for _, e in back.senders)


def test_diagnostics_and_nested_tuples() -> None:
    d = Diagnostic("a.xml", 3, 1, Severity.WARNING, "TT701", "unknown-element", "no handler for <x>")
    meta = LetterMeta(kind="letter", read=(d,), diagnostics=(("site", (d,)),), letter_id=("l1", 2), used_ids=("a", "b"))
    back = codec.decode(LetterMeta, json.loads(codec.dumps(meta)))
    assert back == meta and back.read[0].severity is Severity.WARNING


def test_a_late_value_is_its_json_until_asked_for_and_stored_again_as_it_was() -> None:
    from trotsky_tei.letter_pass import meta_from_json, meta_to_json
    from trotsky_tei.render.cmif import CmifRecord

    rec = CmifRecord("l1", "A “title” & more", "letters/l1.xml", (("sent", (("persName", "Leon Trotsky", (("ref", "x"),)),)),),
                     ("print",), ("1929-04-30", "l1"))
    meta = LetterMeta(kind="letter", values=(("cmif", rec), ("link-counts", (("ok", 2),))))
    late = meta_from_json(meta_to_json(meta), collect([str(FIXTURE)]).registry)
    assert isinstance(dict(late.values)["cmif"], codec.Late)  # kept as text: a fifth of the memory
    assert late.value("cmif") == rec and late.value("link-counts") == (("ok", 2),)
    assert meta_to_json(late) == meta_to_json(meta)  # stored as the value itself


def test_records_read_back_share_their_strings_until_the_table_is_forgotten() -> None:
    """A run's records repeat the same names and licences letter after letter: read back, each is held once."""
    data = collect([str(FIXTURE)])
    info = next(i for i in data.letters if i.rights)
    codec.forget_strings()
    a = codec.decode(LetterInfo, json.loads(codec.dumps(info)), data.registry)
    b = codec.decode(LetterInfo, json.loads(codec.dumps(info)), data.registry)
    assert a == b == info
    assert a.rights is b.rights and a.letter.title is b.letter.title and a.slug is b.slug
    pairs = [*zip(a.credits, b.credits, strict=True), *zip(a.letter.languages, b.letter.languages, strict=True)]
    assert pairs and all(p is q for x, y in pairs for p, q in zip(x, y, strict=True))  # inside tuples too
    codec.forget_strings()
    c = codec.decode(LetterInfo, json.loads(codec.dumps(info)), data.registry)
    assert c == info and c.rights is not a.rights  # a new table: nothing of the last run kept
