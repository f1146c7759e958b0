"""A list's insurance text → the register's payer (``bcbsm bcn medicare medicaid other uninsured``).

The mapping's ``[payer_values]`` decides first (its keys compared as written, then ignoring case
and spaces); then the payer codes themselves and a few names every EHR uses (``BUILT_IN``).
Anything else is left unmapped: the case keeps whatever payer it had and the row says which text
to add to ``[payer_values]``, rather than a guess putting a patient under the wrong insurer.
"""

from __future__ import annotations

from app.domain.vocabulary import PAYERS
from app.screening.columns import normalise

BUILT_IN: dict[str, str] = {
    **{code: code for code in PAYERS},
    "bluecrossblueshieldofmichigan": "bcbsm", "bcbsofmichigan": "bcbsm", "bcbsmi": "bcbsm",
    "bluecarenetwork": "bcn", "medicareprimary": "medicare", "medicarepartb": "medicare",
    "medicaremichigan": "medicare", "medicaidmichigan": "medicaid", "michiganmedicaid": "medicaid",
    "selfpay": "uninsured", "none": "uninsured", "noinsurance": "uninsured",
}


class PayerMap:
    """Looks up payer texts for one mapping; remembers nothing but the table."""

    def __init__(self, payer_values: dict[str, str]) -> None:
        self.exact = dict(payer_values)
        self.loose = {normalise(k): v for k, v in payer_values.items()}

    def code(self, text: str) -> str | None:
        """The payer code for ``text``, or None when nothing maps it."""
        text = text.strip()
        if not text:
            return None
        if text in self.exact:
            return self.exact[text]
        key = normalise(text)
        return self.loose.get(key) or BUILT_IN.get(key)
