"""The PII detectors: candidate regexes, validators, column-name hints, and their priority.

A detector first selects candidates with one regex run over the whole sample (pandas ``.str``,
vectorised), then runs its validator (a checksum or a parser) on the candidates only. The
order of :data:`DETECTORS` is the priority: when one value is valid for several types it is
assigned to the first one, i.e. the most specific check (mod-97 before Luhn, Luhn with a
fixed length before Luhn with a range of lengths, checksums before plain shapes).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

from boucle.data.pii.batch import (
    BatchCheck,
    card_valid_many,
    each,
    nir_valid_many,
    siren_valid_many,
    siret_valid_many,
)
from boucle.data.pii.checksums import iban_is_valid

__all__ = ["DETECTORS", "PII_TYPES", "Detector", "column_hint", "compact_text"]

View = Literal["raw", "compact"]

# Separators people put inside numbers: "06 12 34 56 78", "FR76 3000 ...", "+33 (0)6 ...".
# Spelled out (no \s) so that pandas can hand the regex to pyarrow's RE2, ~20x faster.
_SEPARATORS = "[ \t\u00a0\u202f.\\-/()]"

_APOSTROPHES = "'\u2019"  # ' and the typographic apostrophe of French text
_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_LETTERS = "A-Za-zÀ-ÖØ-öø-ÿ"
_NAME_WORD = (
    f"(?:[{_UPPER}][{_APOSTROPHES}])?"
    f"(?:[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?|[{_UPPER}]{{2,}})"
)
_NAME_TOKEN = f"(?:{_NAME_WORD}(?:[-{_APOSTROPHES}]{_NAME_WORD})*|[{_UPPER}]\\.)"
_PARTICLE = (
    f"(?:de|du|des|de la|la|le|van|von|der|den|da|di|del|dos|das|ben|bin|al|d[{_APOSTROPHES}])"
)
_PERSON_NAME = f"(?:{_PARTICLE}\\s*)?{_NAME_TOKEN}(?:\\s+(?:{_PARTICLE}\\s*)?{_NAME_TOKEN}){{0,3}}"

_FR_STREET = (
    r"rue|avenue|av|boulevard|bd|chemin|impasse|all[ée]e|place|quai|route|cours|square|passage"
    r"|voie|sentier|rond-point|faubourg|esplanade|parvis|villa|cit[ée]|hameau|lieu-dit|r[ée]sidence"
)
_EN_STREET = (
    r"street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl"
    r"|terrace|close|crescent|square|parkway|pkwy|highway|hwy"
)
_WORD = f"[0-9{_LETTERS}.{_APOSTROPHES}-]+"
_POSTAL_ADDRESS = (
    rf"(?i)^\d{{1,4}}\s*(?:bis|ter|quater|[a-d])?\s*,?\s+(?:{_FR_STREET})\b"
    rf"|^\d{{1,5}}[A-Za-z]?\s+(?:{_WORD}\s+){{0,4}}(?:{_EN_STREET})\b"
    rf"|(?:^|[\s,])(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}\s+[{_UPPER}][{_LETTERS}{_APOSTROPHES} -]+$"
)


def compact_text(texts: pd.Series) -> pd.Series:
    """Remove separators and upper-case the values, for the number-like types."""
    return texts.str.replace(_SEPARATORS, "", regex=True).str.upper()


def _email_is_valid(value: str) -> bool:
    local = value.rpartition("@")[0]
    return len(value) <= 254 and len(local) <= 64 and ".." not in value and local[0] != "."


def _ip_is_valid(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _phone_intl_is_valid(value: str) -> bool:
    digits = value[1:] if value.startswith("+") else value[2:]
    if digits[:2] in {"28", "83", "89"}:  # unassigned country-code blocks (ITU E.164)
        return False
    return len(digits) == 11 if digits[0] == "1" else 8 <= len(digits) <= 15


@dataclass(frozen=True)
class Detector:
    """How one PII type is recognised in a column.

    ``pattern`` selects candidates in the ``view`` of the values (``raw`` stripped text, or
    ``compact``: separators removed, upper-cased); ``validate`` confirms the candidates (a batch
    check: a sequence of strings in, a boolean array out); ``check`` says what it verifies.
    ``numeric`` is the pattern on the digits of an integer column (None: never numeric).
    ``hints`` are column-name words; ``needs_hint`` types are only looked for when one is there.
    """

    pii_type: str
    view: View
    pattern: str
    check: str
    validate: BatchCheck | None = None
    numeric: str | None = None
    hints: frozenset[str] = frozenset()
    needs_hint: bool = False
    search: bool = False


def _words(*names: str) -> frozenset[str]:
    return frozenset(names)


DETECTORS: tuple[Detector, ...] = (
    Detector("iban", "compact", r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}",
             "pass the ISO 13616 mod-97 check", each(iban_is_valid),
             hints=_words("iban", "rib", "bic_iban", "compte", "bank_account")),
    Detector("nir", "compact", r"[1-478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}",
             "pass the NIR structure and key (97 - n mod 97)", nir_valid_many,
             numeric=r"[1-478][0-9]{14}",
             hints=_words("nir", "secu", "securite_sociale", "insee", "ssn", "nss", "num_secu")),
    Detector("email", "raw", r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
             "match the email address pattern", each(_email_is_valid),
             hints=_words("email", "mail", "courriel", "e_mail")),
    Detector("ip_address", "raw", r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*",
             "parse as IPv4/IPv6 addresses", each(_ip_is_valid),
             hints=_words("ip", "ipv4", "ipv6", "ip_address", "adresse_ip")),
    Detector("siret", "compact", r"[0-9]{14}", "pass Luhn on the SIRET and its SIREN (14 digits)",
             siret_valid_many, numeric=r"[0-9]{14}", hints=_words("siret")),
    Detector("payment_card", "compact", r"[0-9]{13,19}", "pass Luhn + IIN range + card length",
             card_valid_many, numeric=r"[0-9]{13,19}",
             hints=_words("card", "carte", "cb", "pan", "cc", "credit_card", "card_number")),
    Detector("siren", "compact", r"[0-9]{9}", "pass Luhn (9 digits)", siren_valid_many,
             numeric=r"[0-9]{9}", hints=_words("siren")),
    Detector("phone_fr", "compact", r"(?:0|(?:\+|00)330?)[1-9][0-9]{8}",
             "match a French phone number (0X XX XX XX XX, +33)",
             numeric=r"[1-9][0-9]{8}|33[1-9][0-9]{8}",
             hints=_words("phone", "tel", "telephone", "mobile", "portable", "gsm", "fax", "cell")),
    Detector("phone_intl", "compact", r"(?:\+|00)[1-9][0-9]{6,14}",
             "match an E.164 phone number (+CC...)", each(_phone_intl_is_valid),
             hints=_words("phone", "tel", "telephone", "mobile", "portable", "gsm", "fax", "cell")),
    Detector("date_of_birth", "raw", "", "parse as dates between 1900 and today",
             hints=_words("dob", "birth", "birthday", "birthdate", "naissance", "ddn",
                          "date_naissance", "date_of_birth", "birth_date", "ne_le", "nee_le"),
             needs_hint=True),
    Detector("postal_address", "raw", _POSTAL_ADDRESS,
             "look like a street address or a French postal code + city", search=True,
             hints=_words("address", "adresse", "addr", "rue", "street", "domicile")),
    Detector("person_name", "raw", _PERSON_NAME,
             "look like capitalised names (1-4 words)",
             hints=_words("nom", "prenom", "prenoms", "name", "names", "surname", "forename",
                          "patronyme", "first_name", "last_name", "full_name", "given_name",
                          "family_name", "nom_famille", "nom_complet", "firstname",
                          "lastname", "fullname", "givenname", "familyname", "nom_naissance"),
             needs_hint=True),
)  # fmt: skip
PII_TYPES: tuple[str, ...] = tuple(detector.pii_type for detector in DETECTORS)

# A column name holding one of these words names a thing, not a person ("product_name").
_NOT_PERSON = frozenset((
    "product", "produit", "company", "societe", "entreprise", "file", "fichier", "host",
    "hostname", "domain", "city", "ville", "country", "pays", "street", "rue", "brand", "marque",
    "model", "modele", "item", "article", "column", "table", "username", "login",
    "category", "categorie", "dataset", "event", "commune", "region", "departement", "department",
    "team", "equipe", "store", "magasin", "shop", "bank", "banque", "app", "project", "projet",
    "raison", "sociale", "pet", "animal", "feature", "variable", "field", "champ", "label",
    "libelle", "tag", "server", "serveur", "device", "machine", "plan", "product_name", "school",
    "ecole", "hospital", "hopital", "organisation", "organization", "org", "sheet", "metric",
))  # fmt: skip


def _name_tokens(column: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode()
    plain = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", plain).lower()
    return [token for token in re.split(r"[^a-z0-9]+", plain) if token]


def column_hint(column: str, detector: Detector) -> str | None:
    """Return the hint word that ``column``'s name gives for ``detector``'s type, if any.

    Words are matched whole (``telephone`` hints a phone, ``telephoned`` does not), alone or as
    a run of consecutive words (``date_naissance``); ``person_name`` hints are ignored when the
    name also says what kind of thing is named (``product_name``, ``nom_societe``).
    """
    tokens = _name_tokens(column)
    if detector.pii_type == "person_name" and _NOT_PERSON.intersection(tokens):
        return None
    for size in (3, 2, 1):
        for start in range(len(tokens) - size + 1):
            words = tokens[start : start + size]
            for candidate in ("_".join(words), "".join(words)):
                if candidate in detector.hints:
                    return candidate
    return None
