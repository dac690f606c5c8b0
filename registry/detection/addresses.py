"""One building's key from an address as grid companies write it ("Abai street 12, apt 4" → "12 abai").

Grid companies write the same building many ways: with a flat, office or room after a comma or a slash,
with "street", "st." or "ул.", in any case. The key keeps the street and the house number and drops the
unit, so the meters of one building fall into one group (docs/rules.md, "Detection: how farms hide").
"""

import re

# Words for a unit inside a building, in English, Russian and Kazakh, followed by its number.
_UNIT = re.compile(
    r"\b(apt|apartment|flat|office|off|room|rm|unit|suite|кв|квартира|оф|офис|пом|помещение|комн|пәтер|кеңсе)\b"
    r"\.?\s*№?\s*[\w-]*",
    re.IGNORECASE,
)
# Words that say what kind of street (or place) it is: left out of the key, so that word order and
# language of the type word do not matter.
_STREET_WORDS = {
    "street": "st",
    "st": "st",
    "str": "st",
    "ул": "st",
    "улица": "st",
    "көшесі": "st",
    "көше": "st",
    "avenue": "ave",
    "ave": "ave",
    "av": "ave",
    "пр": "ave",
    "просп": "ave",
    "проспект": "ave",
    "даңғылы": "ave",
    "microdistrict": "md",
    "mkr": "md",
    "г": "",
    "с": "",
    "мкр": "md",
    "микрорайон": "md",
    "шағын": "md",
    "house": "",
    "дом": "",
    "д": "",
    "үй": "",
}


def _named(part: str) -> bool:
    """Whether a part of an address names something besides a number and words like "house" or "street"."""
    return any(re.search(r"[^\W\d_]", word) and word not in _STREET_WORDS for word in re.findall(r"[^\W_]+", part))


_MICRODISTRICT = {"microdistrict", "mkr", "мкр", "микрорайон", "шағын"}


def building_key(address: str) -> str:
    """The building an address names: its street words and house number, without town, unit or word order.

    The first comma part with a number names the building; a bare number there ("12", "д. 12") belongs to
    the street written before it ("Abai st, 12"), and a microdistrict's part takes the bare number after it ("mkr
    Samal-2, 15"). Later parts are units or postcodes. "" when there is no number (a village alone).
    """
    text = (address or "").lower().split("/")[0]  # "Abai street 12 / 7": the part after the slash is the flat
    text = _UNIT.sub(" ", text)
    parts = [part for part in text.split(",") if re.search(r"[^\W_]", part)]
    numbered = [i for i, part in enumerate(parts) if re.search(r"\d", part)]
    if not numbered:
        return ""
    first = last = numbered[0]
    if not _named(parts[first]) and first > 0:
        first -= 1
    elif set(re.findall(r"[^\W_]+", parts[first])) & _MICRODISTRICT and last + 1 < len(parts):
        if re.fullmatch(r"\s*\d+\w?\s*", parts[last + 1]):
            last += 1
    words = re.findall(r"[^\W_]+", " ".join(parts[first : last + 1]))
    kept = sorted({word for word in words if word not in _STREET_WORDS})
    return " ".join(kept)
