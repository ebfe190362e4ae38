"""Country detection on a random ConfliBERT sample (not chosen for trickiness): an honest P/R figure.

The 40 sentences are drawn with a fixed seed from ../shared/data (the data stays there, not in
this repository); each is annotated with the countries a reader sees named: names, demonyms,
capitals and seats of government, heads of state or government. Regions and cities are not
countries. The first words of each sentence guard against a change in the sampling.
"""

from __future__ import annotations

import random

from newsmodel.countries import get_detector
from newsmodel.datasets import load_conflibert
from tests.newsmodel.test_datasets import SHARED_DATA

ANNOTATED: list[tuple[str, set[str]]] = [
    ("Human Rights Watch", {"NIC"}),  # "Ortega's government": a leader not in the alias file
    ("The United States", {"USA", "BEL"}),
    ("The US and", {"USA", "KOR", "PRK"}),
    ("The United Nations", {"IRQ", "KWT"}),
    ("The Moro Islamic", set()),
    ("German Chancellor Angela", {"DEU", "USA", "RUS"}),
    ("Sierra Leone's Ambassador", {"SLE", "USA", "LBR"}),
    ("The UAE has", {"ARE", "LBR"}),
    ("Turkish President Recep", {"TUR", "SYR"}),
    ("Iraqi officials have", {"IRQ"}),
    ("Vice Admiral Johan", {"ZAF", "NGA"}),
    ("Kony and the", {"UGA", "COD", "SSD", "CAF"}),
    ("Thousands of textile", {"HTI"}),
    ("Pakistani Prime Minister", {"PAK", "MYS", "SAU"}),
    ("EU says military", {"VEN"}),
    ("Kenya signed an", {"KEN", "GBR"}),
    ("Uzbekistan on Thursday", {"UZB"}),
    ("A car bombing", {"SYR"}),
    ("A Kansas woman", set()),
    ("Since 2013, Erdogan", {"TUR"}),
    ("Taliban fighters overran", {"AFG"}),
    ("The United States", {"USA", "SDN"}),
    ("The European Union", {"ZWE"}),
    ("The Africa Union", {"ETH", "MOZ", "ZAF"}),
    ("The Afghan government,", {"AFG", "USA", "ISR"}),
    ("The UK prime", {"GBR", "USA"}),
    ("An 18-carat gold", {"ESP", "USA"}),
    ("Today President Trump", {"USA", "CHN"}),
    ("Boris Johnson urged", {"GBR"}),  # a former head of government, not in the alias file
    ("The Jordan and", {"JOR", "USA"}),
    ("The Ogaden National", set()),
    ("A female rebel", {"COL"}),
    ("Ministry of Employment", set()),
    ("The summit between", {"TUR"}),
    ("Cambodian troops remained", {"KHM"}),
    ("Vladimir Putin has", {"RUS", "SAU"}),
    ("Some 163 Chinese", {"CHN", "SSD"}),
    ("The Islamic State", set()),
    ("A court in", {"VEN"}),
    ("Bangladesh says it", {"BGD", "MMR"}),
]


def test_random_conflibert_sample_precision_recall() -> None:
    sample = random.Random(2026).sample(load_conflibert(SHARED_DATA, "quad5"), len(ANNOTATED))
    detector = get_detector()
    tp = fp = fn = 0
    misses = []
    for example, (prefix, expected) in zip(sample, ANNOTATED, strict=True):
        assert example.text.startswith(prefix), "the sample changed: re-annotate"
        got = set(detector.countries(example.text))
        tp, fp, fn = tp + len(got & expected), fp + len(got - expected), fn + len(expected - got)
        if got != expected:
            misses.append((prefix, sorted(got), sorted(expected)))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"random ConfliBERT sample: {tp + fn} countries, precision={precision:.3f} recall={recall:.3f}; misses={misses}"
    )
    assert precision >= 0.95 and recall >= 0.9, misses
