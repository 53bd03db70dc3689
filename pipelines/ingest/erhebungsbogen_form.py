"""The Erhebungsbogen (quarterly district submission), form version 1, as data.

One definition serves the reader (which columns are required, their types), the blank-form
generator ``swh template`` (drop-down lists, date validation, the explanation sheet) and the demo
data generator. The contract is INPUTS.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipelines.common.bezirke import read_seed

FORM_VERSION = 1
ColumnType = Literal["text", "date", "yesno", "choice", "int"]

ERGEBNIS_WERTE = ("Wohnraum erhalten", "Wohnraum verloren", "offen", "unbekannt")

# Column headers that name personal data: a workbook with such a column is not loaded at all.
PERSONAL_DATA_HEADERS = ("name", "vorname", "nachname", "anschrift", "adresse", "straße", "strasse",
                         "geburtsdatum", "telefon", "e-mail", "email")


@dataclass(frozen=True)
class Column:
    header: str          # as printed on the form
    field: str           # column name in the warehouse
    type: ColumnType
    required: bool
    explanation: str     # German, for the explanation sheet of the blank form
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    name: str
    table: str           # raw table the accepted rows go to
    explanation: str
    columns: tuple[Column, ...]


RAEUMUNGSKLAGEN = Sheet(
    name="Raeumungsklagen",
    table="erhebungsbogen_raeumungsklagen",
    explanation="Eine Zeile je Mitteilung des Amtsgerichts (MiZi) über eine Räumungsklage "
    "(Qualitätsstandards 1.1 und 1.2).",
    columns=(
        Column("Fall-ID", "fall_id", "text", True,
               "Pseudonymes Fallzeichen der Fachstelle. Niemals Name, Anschrift oder Geburtsdatum."),
        Column("Eingang Mitteilung", "eingang_mitteilung", "date", True,
               "Tag, an dem die Mitteilung des Amtsgerichts in der Fachstelle einging (Tag 0)."),
        Column("Versand Anschreiben", "versand_anschreiben", "date", False,
               "Tag des Postausgangs des Standardanschreibens. Leer, wenn (noch) kein Anschreiben versandt wurde."),
        Column("Reaktion", "reaktion", "yesno", False,
               "Hat die Klientin / der Klient auf das Anschreiben reagiert? ja / nein; leer = unbekannt."),
        Column("Hausbesuch 1", "hausbesuch_1", "date", False, "Datum des ersten Hausbesuchs."),
        Column("Hausbesuch 1 zu zweit", "hausbesuch_1_zu_zweit", "yesno", False,
               "Wurde der erste Hausbesuch von zwei Mitarbeitenden durchgeführt? ja / nein"),
        Column("Hausbesuch 2", "hausbesuch_2", "date", False, "Datum des zweiten Hausbesuchs."),
        Column("Hausbesuch 2 zu zweit", "hausbesuch_2_zu_zweit", "yesno", False,
               "Wurde der zweite Hausbesuch von zwei Mitarbeitenden durchgeführt? ja / nein"),
        Column("Ergebnis", "ergebnis", "choice", False,
               "Ergebnis des Falls: " + ", ".join(ERGEBNIS_WERTE) + ".", ERGEBNIS_WERTE),
    ),
)

ZWANGSRAEUMUNGEN = Sheet(
    name="Zwangsraeumungen",
    table="erhebungsbogen_zwangsraeumungen",
    explanation="Eine Zeile je Mitteilung einer Gerichtsvollzieherin / eines Gerichtsvollziehers über "
    "eine Zwangsräumung (Qualitätsstandards 1.3 und 1.4).",
    columns=(
        Column("Fall-ID", "fall_id", "text", True,
               "Pseudonymes Fallzeichen der Fachstelle. Niemals Name, Anschrift oder Geburtsdatum."),
        Column("Eingang Mitteilung GV", "eingang_mitteilung_gv", "date", True,
               "Tag, an dem die Mitteilung der Gerichtsvollzieherin / des Gerichtsvollziehers einging (Tag 0)."),
        Column("Versand Anschreiben", "versand_anschreiben", "date", False,
               "Tag des Postausgangs des Standardanschreibens."),
        Column("Raeumungstermin", "raeumungstermin", "date", False, "Angesetzter Tag der Zwangsräumung."),
        Column("Raeumung durchgefuehrt", "raeumung_durchgefuehrt", "yesno", False,
               "Hat die Zwangsräumung stattgefunden? ja / nein"),
        Column("Vorheriger Kontakt", "vorheriger_kontakt", "yesno", False,
               "Hatte die Klientin / der Klient vor der Räumung Kontakt zur Fachstelle? ja / nein"),
        Column("Begleitung notwendig", "begleitung_notwendig", "yesno", False,
               "Ist eine Begleitung der Räumung nach fachlicher Einschätzung notwendig? ja / nein"),
        Column("Anwesenheit Fachstelle", "anwesenheit_fachstelle", "yesno", False,
               "War die Fachstelle bei der Zwangsräumung anwesend? ja / nein"),
        Column("Begleitung zu zweit", "begleitung_zu_zweit", "yesno", False,
               "Wurde die Räumung von zwei Mitarbeitenden begleitet? ja / nein"),
    ),
)

ZUGANG = Sheet(
    name="Zugang",
    table="erhebungsbogen_zugang",
    explanation="Die sieben Standards des einheitlichen Zugangs (Qualitätsstandard 1.5), jeder genau einmal.",
    columns=(
        Column("Nr", "nr", "int", True, "Nummer des Standards, 1 bis 7."),
        Column("Standard", "standard", "text", True, "Bezeichnung des Standards (vorausgefüllt)."),
        Column("Erfuellt", "erfuellt", "yesno", True, "Erfüllt der Bezirk diesen Standard? ja / nein"),
        Column("Bemerkung", "bemerkung", "text", False, "Freitext, z. B. seit wann oder warum nicht."),
    ),
)

CASE_SHEETS = (RAEUMUNGSKLAGEN, ZWANGSRAEUMUNGEN)
DATA_SHEETS = (RAEUMUNGSKLAGEN, ZWANGSRAEUMUNGEN, ZUGANG)

META_SHEET = "Meta"
META_FIELDS = (  # Feld, required, explanation
    ("Bezirk", True, "Bezirksnummer (01–12) oder amtlicher Name des Bezirks."),
    ("Jahr", True, "Berichtsjahr, z. B. 2025."),
    ("Quartal", True, "Berichtsquartal 1–4."),
    ("Formularversion", True, f"Immer {FORM_VERSION}."),
    ("Stand", False, "Datum, an dem der Bogen ausgefüllt wurde."),
    ("Kontakt", False, "Funktionspostfach der Fachstelle (keine persönliche Adresse)."),
)

ZUGANG_STANDARDS: tuple[tuple[int, str], ...] = tuple(
    (int(r["nr"]), r["standard"]) for r in read_seed("zugangsstandards.csv")
)
