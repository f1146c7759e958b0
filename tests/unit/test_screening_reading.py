"""Reading screening lists: encodings, delimiters, title rows, .xlsx, Synthea, headers, dates,
and the problems that refuse a file (``row N, column: message``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.screening import columns, dates
from app.screening.errors import MappingError
from app.screening.mapping import Mapping, from_dict, load_mapping, to_toml
from app.screening.reading import read_table
from app.screening.service import read_list

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "screening"
HEADER = "Patient ID,Patient Name,DOB,Diagnosis Code,Consult Date\n"


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_windows_1252_names_keep_their_accents() -> None:
    table = read_table(SAMPLES / "aria_consults.csv")
    assert table.how.startswith("Windows-1252, comma")
    parsed = read_list(SAMPLES / "aria_consults.csv")
    names = {r.name for r in parsed.rows}
    assert {"JOSÉ MÜLLER", "RENÉE NÚÑEZ", "SØREN ØSTERGÅRD", "ZOË ŽUPAN", "SIOBHÁN O'BRIEN"} <= names


def test_utf8_bom_semicolons_and_title_rows_above_the_header() -> None:
    table = read_table(SAMPLES / "mosaiq_export.csv")
    assert table.how == "UTF-8 with BOM, semicolon-delimited"
    assert table.header_row == 4 and table.headers[0] == "MRN"  # found below the report titles
    assert table.rows[0][0] == 5 and table.top[0][0].startswith("MOSAIQ")
    parsed = read_list(SAMPLES / "mosaiq_export.csv", load_mapping(SAMPLES / "mosaiq_mapping.toml"))
    assert not parsed.problems
    assert parsed.rows[0].mrn == "4711" and parsed.rows[0].name == "Jürgen Lukasz"  # leading zeros stripped
    assert parsed.rows[0].payer == "medicare" and parsed.rows[0].eligible_on == dt.date(2025, 6, 16)


def test_pipe_delimiter_and_registry_dates() -> None:
    parsed = read_list(SAMPLES / "registry.csv")
    assert parsed.table.how == "UTF-8, vertical bar-delimited"
    assert parsed.columns["primary_diagnosis"] == "Primary Site" and parsed.columns["mrn"] == "Medical Record Number"
    assert parsed.formats["eligible_on"].format == "%Y%m%d"
    assert parsed.rows[0].birth_date == dt.date(1960, 2, 17)


def test_tab_delimited_and_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace(",", "\t") + "77001\tPÉREZ, ANA\t04/30/1960\tC50.9\t06/16/2025\n")
    parsed = read_list(path)
    assert parsed.table.how == "UTF-8, tab-delimited" and parsed.rows[0].name == "ANA PÉREZ"


def test_xlsx_sheet_header_row_numbers_and_dates() -> None:
    mapping = load_mapping(SAMPLES / "epic_mapping.toml")
    parsed = read_list(SAMPLES / "epic_report.xlsx", mapping)
    assert not parsed.problems and parsed.table.sheets == ["Criteria", "Report"]
    first = parsed.rows[0]
    assert first.row == 4 and first.mrn == "88812345"  # a number cell, without ".0"
    assert first.birth_date == dt.date(1962, 4, 18) and first.name == "Thị Lan Nguyen"
    assert [(c.project, c.primary_site) for c in first.decision.cases] == [("bone_mets", "breast")]


def test_synthea_folder_joins_conditions_to_patients() -> None:
    mapping = load_mapping(SAMPLES / "synthea_mapping.toml")
    parsed = read_list(SAMPLES / "synthea", mapping)
    assert not parsed.problems
    assert parsed.table.source == "synthea/conditions.csv" and parsed.columns["mrn"] == "Id"
    by_row = {r.row: r for r in parsed.rows}
    assert by_row[3].name == "Mariá619 Núñez25" and by_row[3].birth_date == dt.date(1958, 2, 3)
    assert [c.project for c in by_row[3].decision.cases] == ["breast"]
    # the bone metastasis finds its primary among the patient's other conditions
    assert [(c.project, c.primary_site) for c in by_row[4].decision.cases] == [("bone_mets", "breast")]
    assert by_row[2].decision.reason == "444814009: neither ICD-10-CM nor in [codes]"


def test_synthea_codes_without_mapping_reject_the_file() -> None:
    parsed = read_list(SAMPLES / "synthea")
    assert str(parsed.problems[0]) == ("row 2, CODE: '444814009' is neither an ICD-10-CM code nor in [codes] "
                                       "(or set unknown_codes = \"not_eligible\")")


def test_headers_are_found_ignoring_case_spaces_and_punctuation() -> None:
    found = columns.detect(["PATIENT_ID", "patient name", "D.O.B.", "dx-code", "CONSULT DATE", "Insurance", "Date"])
    assert found == {"mrn": "PATIENT_ID", "name": "patient name", "birth_date": "D.O.B.", "diagnosis": "dx-code",
                     "eligible_on": "CONSULT DATE", "payer": "Insurance"}
    split = columns.detect(["MRN", "Last Name", "First Name", "Name"])
    assert "name" not in split and split["last_name"] == "Last Name"
    assert columns.digest(["Patient ID", "DOB"]) == columns.digest(["patient_id", " dob "])


def test_date_format_evidence() -> None:
    found = dates.detect(["06/13/2025", "06/02/2025", "11/23/1968"])
    assert found.format == "%m/%d/%Y"
    assert found.evidence == "all 3 dates fit MM/DD/YYYY; 1 fits DD/MM/YYYY"
    parsed = read_list(SAMPLES / "aria_consults.csv")
    assert parsed.date_evidence == "DOB and Consult Date: all 26 dates fit MM/DD/YYYY; only 16 fit DD/MM/YYYY"
    assert dates.detect([], "%d.%m.%Y").evidence == "date format DD.MM.YYYY from the mapping"


def test_an_ambiguous_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1001,A B,01/02/1960,C61,06/03/2025\n1002,C D,03/04/1970,C61,06/05/2025\n")
    parsed = read_list(path)
    assert len(parsed.problems) == 1 and not parsed.rows
    assert str(parsed.problems[0]).startswith("row 1, Consult Date: the dates are ambiguous: all 4 that can be read "
                                              "fit both MM/DD/YYYY and DD/MM/YYYY")
    assert not read_list(path, Mapping(date_format="%d/%m/%Y")).problems


def test_consult_dates_alone_ambiguous_are_settled_by_birth_dates(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1001,A B,01/28/1960,C61,06/03/2025\n")
    parsed = read_list(path)
    assert not parsed.problems and parsed.rows[0].eligible_on == dt.date(2025, 6, 3)


def test_every_bad_row_is_a_problem_naming_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n".join([
        "1001,A B,01/28/1960,C61,06/13/2025",
        ",C D,01/28/1960,C61,06/13/2025",
        "1003,E F,01/28/1960,C61,",
        "1004,G H,01/28/1960,C61,06/31/2025",
        "1005,I J,01/28/1960,XYZ,06/13/2025",
        "1006,K L,13/13/1960,C61,06/13/2025",
        ",,,,",
    ]) + "\n")
    parsed = read_list(path)
    assert [str(p) for p in parsed.problems] == [
        "row 3, Patient ID: no MRN",
        "row 4, Consult Date: no eligible date",
        "row 5, Consult Date: '06/31/2025' is not a date in MM/DD/YYYY",
        "row 6, Diagnosis Code: 'XYZ' is neither an ICD-10-CM code nor in [codes] (or set unknown_codes = \"not_eligible\")",
        "row 7, DOB: not a date in MM/DD/YYYY",  # a birth date is never quoted
    ]
    lenient = [str(p) for p in read_list(path, Mapping(unknown_codes="not_eligible")).problems]
    assert len(lenient) == 4 and not any("XYZ" in p for p in lenient)


def test_unknown_codes_not_eligible_instead_of_refusing(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1001,A B,01/28/1960,XYZ,06/13/2025\n")
    parsed = read_list(path, Mapping(unknown_codes="not_eligible"))
    assert not parsed.problems and parsed.rows[0].decision.reason == "XYZ: neither ICD-10-CM nor in [codes]"


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "Who,When\n1,2\n")
    problems = [str(p) for p in read_list(path).problems]
    assert problems[0].startswith("row 1, mrn: no column found for the MRN")
    assert any(p.startswith("row 1, eligible_on: no column found") for p in problems)
    wrong = [str(p) for p in read_list(path, Mapping(columns={"mrn": "Nope"})).problems]
    assert wrong[0] == "row 1, Nope: no such column for mrn (the headers are: Who, When)"


def test_payers_from_the_mapping_then_built_in_names() -> None:
    parsed = read_list(SAMPLES / "aria_consults.csv", load_mapping(SAMPLES / "aria_mapping.toml"))
    payers = {r.mrn: r.payer for r in parsed.rows}
    assert payers["A100231"] == "medicare" and payers["A100245"] == "bcbsm" and payers["A100252"] == "bcn"
    assert payers["A100291"] == "other" and payers["A100270"] == "other"
    plain = read_list(SAMPLES / "aria_consults.csv")
    assert {r.mrn: r.unmapped_payer for r in plain.rows}["A100291"] == "PRIORITY HEALTH"
    assert plain.payer_texts["MEDICARE"] == 5


def test_mapping_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="unknown key"):
        from_dict({"colums": {}})
    with pytest.raises(MappingError, match=r"\[columns\] has unknown field"):
        from_dict({"columns": {"mrm": "MRN"}})
    with pytest.raises(MappingError, match="not one of"):
        from_dict({"payer_values": {"X": "blue"}})
    with pytest.raises(MappingError, match="not an ICD-10-CM code"):
        from_dict({"codes": {"123": "lung"}})
    with pytest.raises(MappingError, match="unknown_codes"):
        from_dict({"unknown_codes": "ignore"})
    mapping = load_mapping(SAMPLES / "mosaiq_mapping.toml")
    again = tmp_path / "again.toml"
    again.write_text(to_toml(mapping), encoding="utf-8")
    assert load_mapping(again) == mapping


def test_the_documented_header_list_is_the_one_in_the_code() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "screen-import.md").read_text(encoding="utf-8")
    for field_name, names in columns.KNOWN_HEADERS.items():
        assert f"| `{field_name}` | {', '.join(names)} |" in doc
