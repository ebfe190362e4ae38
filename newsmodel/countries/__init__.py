"""Country detection: every ISO 3166 country in English and Korean text, and the pairs a sentence relates."""

from newsmodel.countries.detector import CountryDetector, Mention, get_detector

__all__ = ["CountryDetector", "Mention", "get_detector"]
