"""Sentence splitting (EN pysbd, KO kiwipiepy), TextRank importance and NER (on and off)."""

from __future__ import annotations

import pytest

from newsmodel.text import EntityRecognizer, get_recognizer, guess_language, split_sentences, textrank_scores


def test_english_splitter_keeps_abbreviations_and_spans() -> None:
    text = (
        "Mr. Kim met U.S. officials in Washington, D.C. on Monday. China criticized the meeting.\n"
        "Dr. Lee said talks would resume at 3 p.m. tomorrow. North Korea fired a missile."
    )
    spans = split_sentences(text, "en")
    assert [s.text for s in spans] == [
        "Mr. Kim met U.S. officials in Washington, D.C. on Monday.",
        "China criticized the meeting.",
        "Dr. Lee said talks would resume at 3 p.m. tomorrow.",
        "North Korea fired a missile.",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_paragraph_break_ends_a_sentence() -> None:
    spans = split_sentences("Seoul responds\nTokyo said nothing new today.", "en")
    assert [s.text for s in spans] == ["Seoul responds", "Tokyo said nothing new today."]


def test_korean_splitter_with_spans() -> None:
    text = '미국과 중국은 무역 협상을 재개했다. 북한은 이날 평양에서 성명을 냈다! 김 위원장은 "대화하자"고 말했다'
    spans = split_sentences(text, "ko")
    assert [s.text for s in spans] == [
        "미국과 중국은 무역 협상을 재개했다.",
        "북한은 이날 평양에서 성명을 냈다!",
        '김 위원장은 "대화하자"고 말했다',
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


@pytest.mark.parametrize(
    ("language", "text", "chosen"),
    [
        (None, "북한은 미사일을 발사했다. 그 후 회담이 열렸다.", "ko"),
        (None, "Hello there, Seoul.", "en"),
        (None, "Samsung 전자는 새 제품을 발표했다.", "ko"),
        ("ko-KR", "abc", "ko"),
        ("en", "북한", "en"),
        ("fr", "Bonjour.", "en"),
    ],
)
def test_language_selection(language: str | None, text: str, chosen: str) -> None:
    from newsmodel.text.sentences import _base_language

    assert _base_language(language, text) == chosen
    if language is None:
        assert guess_language(text) == chosen


def test_textrank_ranks_the_central_sentence_first() -> None:
    sentences = [
        "North Korea and South Korea held military talks on the border.",
        "The military talks on the Korean border ended without an agreement between North and South Korea.",
        "South Korea said military talks with North Korea would resume.",
        "The weather in Paris was sunny.",
    ]
    scores = textrank_scores(sentences)
    assert abs(sum(scores) - 1.0) < 1e-6
    assert scores.index(max(scores)) in (0, 1, 2)
    assert scores[3] == min(scores)


def test_stop_words_are_scikit_learns_list() -> None:
    """The data file keeps TextRank's behaviour as it was with scikit-learn's list (serving images
    have no scikit-learn; the dev environment does, through the train extra)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from newsmodel.text.textrank import content_words, english_stop_words

    assert english_stop_words() == frozenset(ENGLISH_STOP_WORDS)
    assert content_words("The talks between them were held in Seoul") == {"talks", "held", "seoul"}


def test_textrank_edge_cases() -> None:
    assert textrank_scores([]) == []
    assert textrank_scores(["One sentence."]) == [1.0]
    assert textrank_scores(["Apples fall.", "Zebras run."]) == [0.5, 0.5]
    ko = textrank_scores(
        ["미국과 중국은 무역 협상을 했다.", "중국은 무역 협상에서 양보했다.", "날씨가 맑았다."], "ko"
    )
    assert ko[2] == min(ko)


def test_ner_finds_people_organisations_places_and_gazetteer_countries() -> None:
    ner = get_recognizer()
    assert ner.enabled, ner.status
    assert ner.status.startswith("on: en_core_web_sm")
    [entities] = ner.entities(["Kim Jong Un met Xi Jinping in Beijing, the Foreign Ministry of China said."])
    assert entities is not None
    by_text = {e.text: e for e in entities}
    assert by_text["Kim Jong Un"].label == "person" and by_text["Kim Jong Un"].iso3 == "PRK"
    assert by_text["Beijing"].label == "place" and by_text["Beijing"].iso3 == "CHN"
    assert any(e.label == "organisation" and e.iso3 == "CHN" for e in entities)


def test_ner_adds_countries_the_model_missed() -> None:
    [entities] = get_recognizer().entities(["talks between the DPRK and the ROK stalled"])
    assert entities is not None
    assert {e.iso3 for e in entities if e.iso3} == {"PRK", "KOR"}


def test_ner_is_off_and_says_so_without_a_model() -> None:
    ner = EntityRecognizer(models=("no_such_spacy_model",))
    assert not ner.enabled
    assert ner.status.startswith("off: no spaCy model installed")
    assert "pip install" in ner.status
    assert ner.entities(["Seoul and Tokyo"]) == [None]


def test_ner_returns_none_for_korean() -> None:
    assert get_recognizer().entities(["미국과 중국"], "ko") == [None]
