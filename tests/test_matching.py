"""Name matching: each case the linking issue names, one by one, and that matching never guesses."""

from __future__ import annotations

import pytest

from trotsky_tei.matching import Matcher, fits, fold, parse_person, plain_key, tokens, translit, uninvert
from trotsky_tei.model import Entity

ENTITIES = [
    Entity("van-overstraeten", "person", ("War van Overstraeten",)),
    Entity("trotsky", "person", ("Leon Trotsky",)),
    Entity("marx", "person", ("Karl Marx",)),
    Entity("eleanor-marx", "person", ("Eleanor Marx",)),
    Entity("lenin", "person", ("Vladimir Ilyich Lenin", "Lenin")),
    Entity("lafontaine", "person", ("Jean de La Fontaine",)),
    Entity("schnitzler", "person", ("Schnitzler, Arthur",)),
    Entity("bronstein", "person", ("Lev Davidovich Bronstein", "Лев Троцкий")),
    Entity("zurich", "place", ("Zürich",)),
    Entity("belgium", "place", ("Belgium", "Belgique")),
    Entity("pcb", "org", ("Communist Party of Belgium", "Belgian Communist Party")),
    Entity("houghton", "repository", ("Houghton Library",)),
]
MATCHER = Matcher(ENTITIES)


def ids(name: str, kind: str = "person") -> list[str]:
    return [c.entity.id for c in MATCHER.match(name, kind).candidates]


def test_initials() -> None:
    assert ids("W. van Overstraeten") == ["van-overstraeten"]
    assert ids("W van Overstraeten") == ["van-overstraeten"]
    assert ids("K. Marx") == ["marx"]
    assert ids("V. I. Lenin") == ["lenin"]
    assert ids("X. van Overstraeten") == []  # an initial must fit the first letter


def test_particles() -> None:
    assert parse_person("War van Overstraeten").particles == ("van",)
    assert parse_person("Jean de La Fontaine").particles == ("de", "la")
    assert parse_person("Jean de La Fontaine").surname == ("fontaine",)
    assert ids("van Overstraeten") == ["van-overstraeten"]
    assert ids("Overstraeten") == ["van-overstraeten"]  # particles may be left out
    assert ids("J. de la Fontaine") == ["lafontaine"]
    assert ids("W. von Overstraeten") == []  # but a different particle is a different name


def test_inverted_order() -> None:
    assert uninvert("Overstraeten, W. van") == "W. van Overstraeten"
    assert ids("Overstraeten, W. van") == ["van-overstraeten"]
    assert ids("Arthur Schnitzler") == ["schnitzler"]  # the registry's own name is inverted
    assert ids("Marx, Karl") == ["marx"]


def test_diacritics_and_case() -> None:
    assert fold("Zürich") == "zurich"
    assert ids("Zurich", "place") == ["zurich"]
    assert ids("ZÜRICH", "place") == ["zurich"]
    assert ids("OVERSTRAETEN, w. VAN") == ["van-overstraeten"]
    assert ids("belgique", "place") == ["belgium"]


@pytest.mark.parametrize("variant", ["Trotsky", "Trotzki", "Trotski", "Trotskij", "Trotskii", "L. Trotzky", "Leon Trotskiy"])
def test_transliteration_variants(variant: str) -> None:
    assert ids(variant) == ["trotsky"]


def test_translit_rules() -> None:
    assert translit("trotzki") == translit("trotsky") == translit("trotskij") == "trotski"
    assert translit("lew") == "lev"


def test_registry_variant_names_count() -> None:
    assert ids("Bronstein") == ["bronstein"]
    assert ids("Лев Троцкий") == ["bronstein"]
    assert ids("Lenin") == ["lenin"]


def test_possessive_genitive_and_plural_noise() -> None:
    assert tokens("Lenin's") == ["lenin"]
    assert tokens("Lenin’s") == ["lenin"]
    assert ids("Lenin's") == ["lenin"]
    assert ids("Lenins") == ["lenin"]  # German genitive
    assert ids("Schnitzlers") == ["schnitzler"]
    assert ids("Belgiums", "place") == ["belgium"]


def test_places_and_orgs_whole_name() -> None:
    assert plain_key("the Belgian Communist Party") == plain_key("Belgian Communist Party")
    assert ids("the Belgian Communist Party", "org") == ["pcb"]
    assert ids("Houghton Library", "org") == ["houghton"]  # a repository is an organisation
    assert ids("Communist", "org") == []  # a part of a name is not the name
    assert ids("Belgium", "person") == []  # kinds do not mix


def test_ambiguous_is_never_guessed() -> None:
    result = MATCHER.match("Marx", "person")
    assert result.status == "ambiguous"
    assert result.unique is None
    assert {c.entity.id for c in result.candidates} == {"marx", "eleanor-marx"}
    assert MATCHER.match("Eleanor Marx", "person").unique is not None


def test_unknown_names() -> None:
    assert MATCHER.match("my dear friend", "person").status == "none"
    assert MATCHER.match("Leon", "person").status == "none"  # a given name alone is no match
    assert MATCHER.match("", "person").status == "none"


def test_exact_versus_variant() -> None:
    assert MATCHER.match("Karl Marx", "person").candidates[0].how == "exact"
    assert MATCHER.match("K. Marx", "person").candidates[0].how == "variant"


def test_fits_checks_existing_links() -> None:
    trotsky = ENTITIES[1]
    assert fits("Trotzki", trotsky)
    assert not fits("the old man", trotsky)


def test_registry_match_entry_point() -> None:
    from trotsky_tei.registry import Registry

    reg = Registry(entries={e.id: e for e in ENTITIES})
    assert reg.match("W. van Overstraeten", "person").unique is ENTITIES[0]


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("the Party", "org", ["pcb"]),  # a short form: every word stands in "Communist Party of Belgium"
        ("Communist party", "org", ["pcb"]),
        ("Houghton", "org", ["houghton"]),  # repositories are organisations too
        ("Socialist Party", "org", []),  # "Socialist" is in no entry's name
        ("Communist Party of Belgium", "org", []),  # a whole-name fit is a match, not a suggestion
        ("Marx", "person", []),  # people are matched by their names' parts, never suggested
    ],
)
def test_suggestions_for_short_forms(name: str, kind: str, expected: list[str]) -> None:
    assert [c.entity.id for c in MATCHER.suggest(name, kind)] == expected
    assert all(c.how == "partial" for c in MATCHER.suggest(name, kind))
