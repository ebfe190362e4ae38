"""The hand-written gold set (tests/newsmodel/data/country_gold): pair recall, precision, direction.

Figures are printed (pytest -s) and held to the bars issue #18 sets: recall and precision of the
gold country pairs >= 0.95; directed accuracy is held just under what was measured (0.889 after the
direction fixes of 2026-12-03 on the five older files; 0.865 on all nine files after the fixes of
2026-12-05; 0.762 on all 39 files since the blind rounds added harder registers, 0.746 on 43
with the eleventh round, 0.726 on 51 with the thirteenth, 0.716 on 63 with the seventeenth: the all-files floor is 0.71), so a change that loses direction fails
here. Each file also has its own floors, just under its figures after those fixes
(gold_direction.txt, see the README), so a gain on one file cannot hide a loss on another. bench/countries.py prints the same figures (with
--per-file, file by file) beside the detector before the issue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmodel.countries import get_detector
from newsmodel.countries.direction import get_direction_reader
from newsmodel.countries.gold import GoldScore, GoldSentence, load_gold, score_gold

GOLD = Path(__file__).parent / "data" / "country_gold"


@pytest.fixture(scope="module")
def gold() -> list[GoldSentence]:
    return load_gold(GOLD)


def test_gold_set_is_broad(gold: list[GoldSentence]) -> None:
    """>= 400 sentences across decades and regions, not only the focus countries."""
    assert len(gold) >= 400
    decades = {g.date.year // 10 * 10 for g in gold if g.date}
    assert decades >= {1950, 1960, 1970, 1980, 1990, 2000, 2010, 2020}
    assert {g.region for g in gold} >= {"EAS", "SEA", "SAS", "MEA", "AFR", "EUR", "NAM", "LAM", "OCE"}
    focus = {"KOR", "PRK", "USA", "CHN", "JPN", "IND", "RUS"}
    outside = {c for g in gold for c in g.countries} - focus
    assert len(outside) >= 80
    assert sum(1 for g in gold if not g.pairs) >= 30  # negatives


Predicted = dict[str, list[tuple[str, str, str | None]]]

# The four fresh files of 2026-12-05 (written blind, see the gold README) hold floors just under
# their figures after the class fixes of that day: asiapress 0.937 1.000 0.754 0.860 / business
# 1.000 0.961 0.772 0.963 / korean 1.000 0.973 0.934 0.939 / statemedia 1.000 1.000 0.808 0.981
# (before: 0.910 0.962 0.776 0.860 / 0.990 0.934 0.739 0.962 / 0.872 0.905 0.500 0.926 / 0.984
# 0.961 0.789 0.981). All files together: directed 0.865 (699/808). gold_world.txt, written blind
# afterwards, is the held-out check of those fixes: 0.982 0.982 0.838 0.878 with them (main before
# them, 40fba76: 0.982 0.973 0.794 0.878); gold_korean2.txt likewise for Korean: 0.845 0.921 0.759
# 0.771 (40fba76: 0.727 0.860 0.320 1.000); after the classes its misses showed were fixed (every
# country's Korean name, North Korean forms, lists and conjoined pairs): 0.955 0.946 0.839 0.837.
# A third blind round, written after every fix and measured once on f53b2f2 before any change:
# gold_mixed3.txt (English) 0.972 0.945 0.750 0.851 (40fba76: 0.915 0.942 0.745 0.833),
# gold_korean3.txt 0.969 1.000 0.638 0.784 (40fba76: 0.755 0.937 0.244 0.897). After the classes
# their misses showed were fixed (2026-12-05, evening: Korean headline tags, credits, first clauses,
# imports, visit nouns; English headline infinitives, "said its N had ..."): korean3 0.969 1.000
# 0.793 0.784, mixed3 0.972 0.945 0.768 0.851.
# A fourth blind round (gold_readouts, gold_uspress, gold_korean4, gold_korean5: harder
# constructions by design) was committed with floors at what 22df2c2 scored on it, before any
# change for it: readouts 0.975 0.975 0.566 0.944, uspress 0.953 0.993 0.667 0.847, korean4 0.896
# 0.972 0.730 0.575, korean5 0.854 0.897 0.639 0.795. With them all 17 files direct 0.814, so the
# all-files floor is 0.81 (0.84 on the 13 files before them).
# A fifth blind round (gold_globalwire, gold_liveblog, gold_korean6, gold_korean7), written after
# the fixes of the fourth, was committed with floors at what 82e6c5f scored on it before any change
# for it: globalwire 0.888 0.921 0.500 0.808, liveblog 0.983 0.975 0.707 0.878, korean6 0.853 0.978
# 0.768 0.742, korean7 0.907 1.000 0.717 0.842 (8711b76: directed 0.487 / 0.653 / 0.685 / 0.614).
# A sixth blind round (gold_asiadaily, gold_wirebrief, gold_korean8, gold_korean9), written after
# the fifth round's fixes had begun and measured once on 264e9ed before any change for it:
# asiadaily 0.940 0.986 0.659 0.860, wirebrief 0.994 0.956 0.714 0.957, korean8 0.978 0.958 0.840
# 0.836, korean9 0.930 0.947 0.844 0.814 (8711b76: directed 0.612 / 0.667 / 0.753 / 0.651).
# A seventh blind round (gold_southasia, gold_eurasia, gold_korean10, gold_korean11), measured once
# on c7dea57 before any change for it: southasia 0.891 0.961 0.631 0.818, eurasia 0.970 0.970 0.610
# 0.906, korean10 0.846 0.980 0.778 0.578, korean11 0.926 0.982 0.719 0.667 (8711b76: directed 0.538
# / 0.580 / 0.627 / 0.617). With all 29 files directed accuracy is 0.801: the all-files floor 0.79.
# An eighth blind round (gold_mideastafrica, gold_techtrade, gold_korean12, gold_korean13), measured
# once on 69d7bca before any change for it: mideastafrica 0.975 0.941 0.731 0.879, techtrade 1.000
# 0.977 0.557 0.896, korean12 0.945 0.984 0.718 0.786, korean13 0.887 0.966 0.649 0.793 (8711b76:
# directed 0.667 / 0.544 / 0.610 / 0.640). All 33 files: directed 0.784, the all-files floor 0.78.
# A ninth blind round (gold_americaseurope, gold_security, gold_korean14, gold_korean15), measured
# once on 795d323 before any change for it: americaseurope 0.987 0.969 0.637 0.831, security 0.974
# 0.974 0.524 0.881, korean14 0.967 1.000 0.617 0.759, korean15 0.977 0.962 0.671 0.836 (8711b76:
# directed 0.633 / 0.506 / 0.551 / 0.528). All 37 files: directed 0.766, the all-files floor 0.76.
# A tenth blind round (gold_generalnews, gold_korean16), measured once on 3338838 before any change
# for it: generalnews 0.972 0.945 0.617 0.821, korean16 0.883 0.970 0.701 0.774 (8711b76: directed
# 0.568 / 0.516). All 39 files: directed 0.762, the all-files floor 0.75.
# An eleventh blind round (gold_briefings, gold_energymaritime, gold_korean17, gold_korean18),
# measured once on a8494e5 before any change for it: briefings 0.964 0.930 0.512 0.652,
# energymaritime 0.982 0.763 0.512 0.914, korean17 0.843 0.944 0.800 0.759, korean18 0.832 0.881
# 0.561 0.781 (8711b76: directed 0.488 / 0.465 / 0.683 / 0.521). All 43 files: directed 0.746, the
# all-files floor 0.74. After the classes its misses showed were fixed (2026-12-05, a new session),
# every floor was raised to its file's new figures; two moved down because more pairs are found:
# korean17 directed 0.80 -> 0.74 (recall 0.843 -> 0.950, the new pairs of Hanja short forms
# partly misdirected) and readouts undirected 0.94 -> 0.93 (two more pairs, one left directed).
# A twelfth blind round (gold_pacific, gold_history, gold_korean19, gold_korean20), measured once
# on 323ec7e before any change for it: pacific 0.977 0.935 0.603 1.000, history 0.861 0.923 0.507
# 0.936, korean19 0.871 0.983 0.695 0.786, korean20 0.703 0.892 0.727 0.897 (a8494e5, the session's
# start: 0.853 0.932 0.618 0.909 together, 323ec7e 0.858 0.934 0.618 0.909). All 47 files:
# directed 0.742.
# After its recall misses were fixed (historical names in Korean, former leaders by full name,
# years a retrospective looks back to, "한-필리핀"), floors were set at the new figures; direction
# and undirected floors moved down only where recall rose (history 0.861 -> 0.928, korean11,
# korean17, korean19 0.871 -> 0.970, korean20 0.703 -> 0.864, korean6): the new pairs are
# partly misdirected.
# A thirteenth blind round (gold_opinion, gold_regional, gold_korean21, gold_korean22), measured
# once on 02836fb before any change for it: opinion 0.925 0.958 0.372 0.890, regional 0.950 0.935
# 0.437 0.859, korean21 0.844 0.884 0.680 0.703, korean22 0.879 0.962 0.712 0.837 (a8494e5, the
# session's start, the four together: 0.899 0.940 0.519 0.828; 02836fb: 0.906 0.935 0.522 0.828).
# All 51 files: directed 0.726, the all-files floor 0.72.
# After its detection misses were fixed, floors at the new figures (korean6 directed down: one
# more pair found, misdirected).
# A fourteenth blind round in the mainstream registers (gold_wire14, gold_asiawire, gold_korean23,
# gold_korean24), measured once on 686f03c before any change for it: wire14 1.000 0.994 0.714 0.861,
# asiawire 0.936 0.896 0.781 0.967, korean23 0.937 0.937 0.694 0.905, korean24 0.982 0.926 0.743
# 0.762 (a8494e5, the session's start, the four together: 0.949 0.936 0.730 0.859; 686f03c: 0.967
# 0.942 0.734 0.865). All 55 files: directed 0.727.
# After its detection misses were fixed, floors at the new figures.
# A fifteenth blind round (gold_world15, gold_korean25), measured once on 6c7bd31 before any change
# for it: world15 0.951 0.925 0.667 0.891, korean25 0.915 1.000 0.583 0.750 (a8494e5, the session's
# start, the two together: 0.889 0.956 0.638 0.807; 6c7bd31: 0.932 0.962 0.627 0.813). All 57
# files: directed 0.724.
# After its detection misses were fixed, floors at the new figures (asiawire recall down: Kursk
# is no longer Russia's metonym, which world15's writer did not code).
# A sixteenth blind round (gold_news16, gold_korean26), the held-out check of every fix of the
# second session of 2026-12-05, measured once on e680fa7: news16 0.957 0.957 0.652 0.870, korean26
# 0.941 0.920 0.652 0.787 (a8494e5, the session's start, the two together: 0.921 0.928 0.648 0.827;
# e680fa7: 0.948 0.937 0.652 0.822). All 59 files: directed 0.722.
# A seventeenth blind round (gold_markets17, gold_courts17, gold_korean27, gold_korean28: markets and
# economy wires, courts and international bodies, Korean broadcast scripts, Korean markets pages),
# measured once on 18c544c before any change for it: markets17 0.992 0.949 0.548 0.786, courts17
# 0.952 0.889 0.576 0.889, korean27 0.962 0.952 0.714 0.946, korean28 0.990 0.980 0.623 0.846 (the
# four together 0.974 0.939 0.612 0.860; 32b0ed8, the session's start, the same). All 63 files:
# directed 0.716, so the all-files floor is 0.71. After its classes were fixed (a wire credit line,
# "in condemning X", "abuses in X", The Hague and international courts' seats, Bosnian Serbs, canals,
# 북미 before diplomacy, a Korean city naming its summit, a broadcast's live link, amounts of goods,
# Korean made-in goods in lists): the four 1.000 / 0.977 / 0.542 / 0.889, 0.992 / 1.000 / 0.589 /
# 0.786, 0.990 / 0.972 / 0.708 / 0.947, 1.000 / 0.981 / 0.677 / 0.846 (courts17, markets17, korean27,
# korean28). Three floors went down with recall up (more pairs found, some of them misdirected):
# courts17 directed (recall 0.952 -> 1.000), korean27 directed (0.962 -> 0.990), korean2
# undirected (0.955 -> 0.973: the 북미 pairs it now finds are undirected in the gold, read as ordered).
# An eighteenth blind round (gold_world18, gold_korean29: mainstream English and Korean international
# news), written while the seventeenth round's classes were fixed and measured once on 7cf4d1b (the
# last of those fixes): 0.972 0.986 0.699 0.852 together (32b0ed8, the session's start: 0.976 0.986
# 0.701 0.844). It showed one regression of those fixes, an airport struck read as a venue ("a U.S.
# drone strike at Baghdad's international airport"); with it fixed: 0.979 0.986 0.701 0.846 (world18
# 0.994 0.978 0.632 0.852, korean29 0.954 1.000 0.806 0.833). All 65 files: directed 0.717.
# file: (recall, precision, directed accuracy, undirected accuracy), each just under the figures
# measured on 2026-12-03 after the direction fixes of gold_direction.txt (actors 0.988 0.971 0.870
# 0.820 / direction 0.984 0.955 0.931 1.000 / modern 1.000 1.000 0.879 0.890 / names 0.945 0.979
# 0.874 0.747 / traps 0.985 0.985 0.899 0.929).
FILE_FLOORS = {
    "gold_actors.txt": (0.98, 0.97, 0.87, 0.81),
    "gold_americaseurope.txt": (1.0, 0.98, 0.63, 0.83),
    "gold_asiadaily.txt": (0.95, 0.98, 0.67, 0.86),
    "gold_asiapress.txt": (0.93, 0.99, 0.78, 0.86),
    "gold_asiawire.txt": (0.93, 0.98, 0.78, 0.96),
    "gold_briefings.txt": (0.97, 0.97, 0.54, 0.66),
    "gold_business.txt": (1.0, 0.95, 0.78, 0.96),
    "gold_courts17.txt": (1.0, 0.97, 0.54, 0.88),
    "gold_direction.txt": (0.98, 0.95, 0.93, 1.0),
    "gold_energymaritime.txt": (1.0, 0.8, 0.51, 0.91),
    "gold_eurasia.txt": (0.98, 0.97, 0.6, 0.9),
    "gold_generalnews.txt": (0.97, 0.94, 0.62, 0.82),
    "gold_globalwire.txt": (0.92, 0.97, 0.59, 0.8),
    "gold_history.txt": (0.92, 0.96, 0.5, 0.92),
    "gold_korean.txt": (1.0, 0.97, 0.94, 0.93),
    "gold_korean10.txt": (0.88, 0.98, 0.8, 0.8),
    "gold_korean11.txt": (0.93, 0.99, 0.72, 0.72),
    "gold_korean12.txt": (0.96, 1.0, 0.73, 0.79),
    "gold_korean13.txt": (0.91, 0.98, 0.75, 0.75),
    "gold_korean14.txt": (0.96, 1.0, 0.73, 0.75),
    "gold_korean15.txt": (0.99, 0.97, 0.69, 0.83),
    "gold_korean16.txt": (0.93, 1.0, 0.72, 0.78),
    "gold_korean17.txt": (0.98, 0.96, 0.75, 0.72),
    "gold_korean18.txt": (0.9, 0.96, 0.69, 0.82),
    "gold_korean19.txt": (0.96, 0.99, 0.7, 0.76),
    "gold_korean2.txt": (0.97, 0.98, 0.85, 0.82),
    "gold_korean20.txt": (0.86, 0.9, 0.71, 0.86),
    "gold_korean21.txt": (0.84, 0.97, 0.68, 0.71),
    "gold_korean22.txt": (0.98, 0.98, 0.73, 0.86),
    "gold_korean23.txt": (0.98, 0.98, 0.73, 0.93),
    "gold_korean24.txt": (0.98, 0.94, 0.74, 0.76),
    "gold_korean25.txt": (0.96, 1.0, 0.57, 0.76),
    "gold_korean26.txt": (0.94, 0.92, 0.65, 0.78),
    "gold_korean27.txt": (0.99, 0.97, 0.7, 0.94),
    "gold_korean28.txt": (1.0, 0.98, 0.67, 0.84),
    "gold_korean29.txt": (0.95, 1.0, 0.8, 0.83),
    "gold_korean3.txt": (0.97, 1.0, 0.84, 0.81),
    "gold_korean4.txt": (0.96, 1.0, 0.91, 0.84),
    "gold_korean5.txt": (0.92, 0.95, 0.83, 0.76),
    "gold_korean6.txt": (0.97, 0.98, 0.79, 0.8),
    "gold_korean7.txt": (0.95, 1.0, 0.76, 0.89),
    "gold_korean8.txt": (0.97, 0.98, 0.87, 0.83),
    "gold_korean9.txt": (0.96, 0.97, 0.9, 0.88),
    "gold_liveblog.txt": (0.99, 0.98, 0.77, 0.87),
    "gold_markets17.txt": (0.99, 1.0, 0.58, 0.78),
    "gold_mideastafrica.txt": (1.0, 0.95, 0.71, 0.88),
    "gold_mixed3.txt": (0.98, 0.94, 0.78, 0.85),
    "gold_modern.txt": (1.0, 1.0, 0.89, 0.9),
    "gold_names.txt": (0.94, 0.98, 0.87, 0.75),
    "gold_news16.txt": (0.95, 0.95, 0.65, 0.86),
    "gold_opinion.txt": (0.92, 0.98, 0.37, 0.89),
    "gold_pacific.txt": (0.97, 0.97, 0.6, 1.0),
    "gold_readouts.txt": (0.98, 0.99, 0.72, 0.93),
    "gold_regional.txt": (0.95, 0.93, 0.43, 0.85),
    "gold_security.txt": (0.97, 0.98, 0.52, 0.88),
    "gold_southasia.txt": (0.9, 0.96, 0.63, 0.82),
    "gold_statemedia.txt": (1.0, 1.0, 0.83, 0.98),
    "gold_techtrade.txt": (1.0, 1.0, 0.55, 0.89),
    "gold_traps.txt": (0.98, 1.0, 0.92, 0.91),
    "gold_uspress.txt": (0.97, 1.0, 0.73, 0.85),
    "gold_wire14.txt": (1.0, 0.99, 0.71, 0.86),
    "gold_wirebrief.txt": (0.99, 0.98, 0.73, 0.95),
    "gold_world.txt": (0.99, 0.99, 0.84, 0.87),
    "gold_world15.txt": (0.98, 0.94, 0.67, 0.89),
    "gold_world18.txt": (0.99, 0.97, 0.63, 0.85),
}


@pytest.fixture(scope="module")
def predicted(gold: list[GoldSentence]) -> Predicted:
    """Each gold sentence's pairs as the detector and the direction reader give them (once)."""
    detector, reader = get_detector(), get_direction_reader()
    out: Predicted = {}
    for g in gold:
        mentions = detector.detect(g.text, date=g.date)
        out[g.source] = [(p.a, p.b, p.source) for p in reader.read(g.text, mentions)]
    return out


def _score(gold: list[GoldSentence], predicted: Predicted) -> GoldScore:
    by_text = {}
    for g in gold:
        by_text.setdefault(g.text, predicted[g.source])
    return score_gold(lambda text, _date: by_text[text], gold)


def test_gold_pairs_and_directions(gold: list[GoldSentence], predicted: Predicted) -> None:
    score = _score(gold, predicted)
    print(f"country gold set: {score.summary()}")
    print(f"recall by category: { {k: round(v, 3) for k, v in score.category_recall().items()} }")
    assert score.recall >= 0.95, score.misses
    assert score.precision >= 0.95, score.false
    assert score.directed_accuracy >= 0.71, score.wrong_direction
    assert score.undirected_accuracy >= 0.85


@pytest.mark.parametrize("name", sorted(FILE_FLOORS))
def test_each_gold_file_holds_its_floor(gold: list[GoldSentence], predicted: Predicted, name: str) -> None:
    rows = [g for g in gold if g.source.startswith(f"{name}:")]
    assert rows, f"{name} has no sentences"
    score = _score(rows, predicted)
    print(f"{name}: {score.summary()}")
    recall, precision, directed, undirected = FILE_FLOORS[name]
    assert score.recall >= recall, score.misses
    assert score.precision >= precision, score.false
    assert score.directed_accuracy >= directed, score.wrong_direction
    assert score.undirected_accuracy >= undirected


def test_every_gold_file_has_floors() -> None:
    assert {p.name for p in GOLD.glob("gold_*.txt")} == set(FILE_FLOORS)


def test_gold_file_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "gold_x.txt").write_text("2020 | EUR | plain | FRA,DEU | FRA>ITA | France met Germany.\n")
    with pytest.raises(ValueError, match=r"gold_x\.txt:1"):
        load_gold(tmp_path)
