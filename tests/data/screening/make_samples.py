"""Write the synthetic screening lists the tests and docs use (no real patient anywhere).

    .venv/bin/python tests/data/screening/make_samples.py

Every name, MRN and date below is made up; the accented names exercise Windows-1252 and UTF-8.
Each file imitates one kind of export a facility gets (the shapes, not any vendor's exact
layout): an ARIA-like consult list and its "next week" version, a MOSAIQ-like export with title
rows and ``;``, an Epic-like .xlsx report with several codes in one cell, a tumour-registry list
with the primary site in its own column, and a Synthea folder with SNOMED-CT codes. The same
script always writes the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2025, 7, 1, 8, 0, 0)


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8",
              bom: bool = False) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


ARIA_HEADER = ["Patient ID", "Patient Name", "DOB", "Diagnosis Code", "Diagnosis Description", "Consult Date",
               "Insurance"]
ARIA = [
    ["A100231", "MÜLLER, JOSÉ", "03/14/1951", "C61", "Malignant neoplasm of prostate", "06/02/2025", "MEDICARE"],
    ["A100245", "NÚÑEZ, RENÉE", "11/23/1968", "C50.911", "Malignant neoplasm of unsp site of right female breast",
     "06/02/2025", "BCBS OF MICHIGAN"],
    ["A100252", "O'BRIEN, SIOBHÁN", "07/30/1959", "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung",
     "06/03/2025", "BLUE CARE NETWORK"],
    ["A100267", "LEFÈVRE, FRANÇOIS", "01/19/1947", "C79.51", "Secondary malignant neoplasm of bone", "06/03/2025",
     "MEDICARE"],
    ["A100270", "GARCÍA, MARÍA", "05/21/1972", "C18.7", "Malignant neoplasm of sigmoid colon", "06/04/2025", "AETNA"],
    ["A100283", "ØSTERGÅRD, SØREN", "09/08/1955", "C61", "Malignant neoplasm of prostate", "06/05/2025", "MEDICARE"],
    ["A100291", "ŽUPAN, ZOË", "12/02/1980", "C50.412", "Malig neoplm of upper-outer quadrant of left female breast",
     "06/05/2025", "PRIORITY HEALTH"],
    ["A100245", "NÚÑEZ, RENÉE", "11/23/1968", "C50.911", "Malignant neoplasm of unsp site of right female breast",
     "06/06/2025", "BCBS OF MICHIGAN"],
    ["A100302", "BJÖRK, ÅSA", "04/17/1963", "C43.9", "Malignant melanoma of skin, unspecified", "06/06/2025",
     "BCBS OF MICHIGAN"],
    ["A100315", "CHÉRIF, NOËL", "02/28/1949", "C32.9", "Malignant neoplasm of larynx, unspecified", "06/06/2025",
     "MEDICARE"],
    ["A100328", "HÅKANSSON, INGRID", "10/10/1944", "C34.90", "Malignant neoplasm of unsp part of unsp bronchus or lung",
     "06/09/2025", "MEDICAID"],
    ["A100331", "SMITH, JOHN", "08/15/1950", "C61", "Malignant neoplasm of prostate", "06/09/2025", "MEDICARE"],
    ["A100349", "SMITH, JOHN", "03/22/1961", "C61", "Malignant neoplasm of prostate", "06/10/2025",
     "BCBS OF MICHIGAN"],
]
ARIA_NEXT_WEEK = [
    ["A100231", "MÜLLER, JOSÉ", "03/14/1951", "C61", "Malignant neoplasm of prostate", "06/10/2025", "MEDICARE"],
    ["A100245", "NÚÑEZ, RENÉE", "11/23/1968", "C50.911", "Malignant neoplasm of unsp site of right female breast",
     "05/28/2025", "BCBS OF MICHIGAN"],
    ["A100252", "O'BRIEN, SIOBHÁN", "07/30/1959", "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung",
     "06/11/2025", "MEDICAID"],
    ["A100283", "ØSTERGÅRD, SØREN", "09/18/1955", "C61", "Malignant neoplasm of prostate", "06/12/2025", "MEDICARE"],
    ["A100291", "ŽUPAN, ZOË", "12/02/1980", "C50.412", "Malig neoplm of upper-outer quadrant of left female breast",
     "06/12/2025", "PRIORITY HEALTH"],
    ["A100360", "DUBOIS, AIMÉE", "06/29/1975", "C50.211", "Malig neoplasm of upper-inner quadrant of right female breast",
     "06/12/2025", "BLUE CARE NETWORK"],
    ["A100377", "KOWALSKI, ZBIGNIEW", "01/31/1952", "C61", "Malignant neoplasm of prostate", "06/13/2025", "MEDICARE"],
]
ARIA_MAPPING = """# ARIA weekly consult list: the headers are found by themselves; only the insurers need naming.
[payer_values]
"AETNA" = "other"
"PRIORITY HEALTH" = "other"
"""

MOSAIQ_TITLE = [["MOSAIQ Oncology — Radiation Oncology new starts"], ["Report run 07/01/2025 08:15 by rpt_user"], []]
MOSAIQ_HEADER = ["MRN", "Last Name", "First Name", "Birth Date", "ICD-10", "Dx Description", "Consult Date", "Payer"]
MOSAIQ = [
    ["0004711", "Lukasz", "Jürgen", "02-17-1949", "C61", "Prostate", "06-16-2025",
     "MEDICARE PART A/B"],
    ["0004720", "Fernández", "Inés", "10-05-1970", "C50.811", "Breast, overlapping", "06-16-2025", "BCBSM PPO"],
    ["0004733", "Brønn", "Øystein", "12-24-1958", "C34.31", "Lung, lower lobe", "06-17-2025", "BCN HMO"],
    ["4711", "Lukasz", "Jürgen", "02-17-1949", "C61", "Prostate", "06-19-2025", "MEDICARE PART A/B"],
    ["0004748", "Côté", "Hélène", "07-13-1966", "C53.9", "Cervix uteri", "06-18-2025", "SELF PAY"],
    ["0004752", "Dubois", "Amélie", "03-29-1981", "C50.111; C79.51", "Breast with bone metastases", "06-20-2025",
     "BCBSM PPO"],
]
MOSAIQ_MAPPING = """# MOSAIQ export: three title rows above the header, ';'-delimited, MRNs with and without zeros.
header_row = 4
mrn_strip_leading_zeros = true

[columns]
mrn = "MRN"
last_name = "Last Name"
first_name = "First Name"
birth_date = "Birth Date"
diagnosis = "ICD-10"
eligible_on = "Consult Date"
payer = "Payer"

[payer_values]
"MEDICARE PART A/B" = "medicare"
"BCBSM PPO" = "bcbsm"
"BCN HMO" = "bcn"
"SELF PAY" = "uninsured"
"""

EPIC_HEADER = ["Patient MRN", "Patient Last Name", "Patient First Name", "Date of Birth", "Diagnosis ICD10",
               "Referral Date", "Primary Payor"]
EPIC = [
    [88812345, "Nguyen", "Thị Lan", dt.date(1962, 4, 18), "C79.51, C50.911", dt.date(2025, 6, 23), "Medicare"],
    [88812346, "Andersson", "Björn", dt.date(1948, 9, 30), "C34.90; C61", dt.date(2025, 6, 23), "Medicare"],
    [88812347, "Müller-Lüdenscheidt", "Käthe", dt.date(1957, 1, 14), "C79.52 C64.9", dt.date(2025, 6, 24),
     "Blue Cross Blue Shield of Michigan"],
    [88812348, "Ó Súilleabháin", "Seán", dt.date(1970, 11, 2), "C79.51, C43.9", dt.date(2025, 6, 24), "Priority Health"],
    [88812349, "Schäfer", "Renée", dt.date(1955, 6, 6), "C79.51, C18.7", dt.date(2025, 6, 25), "Medicare"],
    [88812350, "Mäkinen", "Väinö", dt.date(1951, 8, 19), "Z51.0, C61", dt.date(2025, 6, 25), "Medicare"],
    [88812351, "Da Silva", "Conceição", dt.date(1977, 3, 3), "D05.11", dt.date(2025, 6, 26), "Medicaid Health Plan"],
    [88812352, "Leclerc", "Maëlle", dt.date(1983, 12, 12), "C50.919", dt.date(2025, 6, 27), "Medicaid Health Plan"],
]
EPIC_MAPPING = """# Epic report (.xlsx): the data is on the sheet "Report", under a title and a blank row.
sheet = "Report"
header_row = 3

[columns]
mrn = "Patient MRN"
last_name = "Patient Last Name"
first_name = "Patient First Name"
birth_date = "Date of Birth"
diagnosis = "Diagnosis ICD10"
eligible_on = "Referral Date"
payer = "Primary Payor"

[payer_values]
"Medicare" = "medicare"
"Blue Cross Blue Shield of Michigan" = "bcbsm"
"Priority Health" = "other"
"Medicaid Health Plan" = "medicaid"
"""

REGISTRY_HEADER = ["Accession Number", "Medical Record Number", "Patient Name", "Date of Birth", "Diagnosis Code",
                   "Primary Site", "Date of Diagnosis", "Primary Payer"]
REGISTRY = [
    ["2025000101", "T-55101", "KIM, SOO-JIN", "19600217", "C79.51", "C34.1", "20250407", "BCBSM"],
    ["2025000102", "T-55102", "ÅBERG, LARS", "19521130", "C79.51", "C18.7", "20250408", "MEDICARE"],
    ["2025000103", "T-55103", "FONTAINE, CÉLINE", "19690725", "C50.4", "C50.4", "20250414", "BCN"],
    ["2025000104", "T-55104", "OKAFOR, CHINEDU", "19580103", "C61", "C61.9", "20250415", "MEDICARE"],
    ["2025000105", "T-55105", "HERNÁNDEZ, JOSÉ LUIS", "19640919", "C79.52", "C64.9", "20250416", "MEDICAID"],
    ["2025000106", "T-55106", "NOWAK, PIOTR", "19490528", "C79.51", "Prostate", "20250422", "MEDICARE"],
    ["2025000107", "T-55107", "PETIT, ANAÏS", "19880311", "C73", "C73.9", "20250423", "BCBSM"],
    ["2025000108", "T-55108", "WEBER, JÜRGEN", "19460813", "C79.51", "", "20250429", "MEDICARE"],
]

SYNTHEA_PATIENT_HEADER = ["Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST", "LAST",
                          "SUFFIX", "MAIDEN", "MARITAL", "RACE", "ETHNICITY", "GENDER", "BIRTHPLACE", "ADDRESS",
                          "CITY", "STATE", "COUNTY", "ZIP", "LAT", "LON", "HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE"]
SYNTHEA_PEOPLE = [
    ("1958-02-03", "Mrs.", "Mariá619", "Núñez25", "F"),
    ("1950-10-21", "Mr.", "Joaquín382", "Peña914", "M"),
    ("1947-05-16", "Mr.", "Søren412", "Kierkegård88", "M"),
    ("1966-12-29", "Ms.", "Zoë77", "Brontë10", "F"),
]
#: (person, start, code, description)
SYNTHEA_CONDITIONS = [
    (0, "2019-01-15", "444814009", "Viral sinusitis (disorder)"),
    (0, "2025-03-18", "254837009", "Malignant neoplasm of breast (disorder)"),
    (0, "2025-05-20", "94222008", "Secondary malignant neoplasm of bone (disorder)"),
    (1, "2010-06-01", "59621000", "Essential hypertension (disorder)"),
    (1, "2025-02-11", "254637007", "Non-small cell lung cancer (disorder)"),
    (1, "2025-02-11", "424132000", "Non-small cell carcinoma of lung, TNM stage 1 (disorder)"),
    (2, "2025-04-02", "126906006", "Neoplasm of prostate (disorder)"),
    (2, "2024-11-30", "195662009", "Acute viral pharyngitis (disorder)"),
    (3, "2025-01-07", "363406005", "Malignant tumor of colon (disorder)"),
    (3, "2025-05-02", "94222008", "Secondary malignant neoplasm of bone (disorder)"),
]
SYNTHEA_MAPPING = """# A Synthea folder: conditions.csv joined to patients.csv (see docs/screen-import.md); SNOMED-CT codes
# are translated by [codes], and every other condition (sinusitis, hypertension) is simply not eligible.
unknown_codes = "not_eligible"

[codes]
"254837009" = "C50.919"   # Malignant neoplasm of breast
"254637007" = "C34.90"    # Non-small cell lung cancer
"424132000" = "C34.90"    # Non-small cell carcinoma of lung, TNM stage 1
"254632001" = "C34.90"    # Small cell carcinoma of lung
"126906006" = "C61"       # Neoplasm of prostate
"363406005" = "C18.9"     # Malignant tumor of colon
"94222008" = "C79.51"     # Secondary malignant neoplasm of bone
"""


def synthea(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"mroqc-desk-synthetic-patient-{i}")) for i in range(len(SYNTHEA_PEOPLE))]
    people = [[ids[i], born, "", f"999-{10 + i:02d}-{1000 + i:04d}", f"S9999{i:04d}", "", prefix, first, last, "", "",
               "M", "white", "nonhispanic", sex, "Springfield  Massachusetts  US", f"{100 + i} Example Street",
               "Springfield", "Massachusetts", "Hampden County", "01105", "42.1", "-72.5", "100000.00", "5000.00"]
              for i, (born, prefix, first, last, sex) in enumerate(SYNTHEA_PEOPLE)]
    write_csv(folder / "patients.csv", [SYNTHEA_PATIENT_HEADER, *people])
    encounters = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"mroqc-desk-synthetic-encounter-{n}"))
                  for n in range(len(SYNTHEA_CONDITIONS))]
    conditions = [[start, "", ids[who], encounters[n], code, text]
                  for n, (who, start, code, text) in enumerate(SYNTHEA_CONDITIONS)]
    write_csv(folder / "conditions.csv", [["START", "STOP", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"],
                                          *conditions])
    (HERE / "synthea_mapping.toml").write_text(SYNTHEA_MAPPING, encoding="utf-8")


def epic(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    criteria = book.active
    criteria.title = "Criteria"
    criteria.append(["Report", "RAD ONC REFERRALS (synthetic)"])
    criteria.append(["Department", "Radiation Oncology"])
    sheet = book.create_sheet("Report")
    sheet.append(["Radiation Oncology Referrals — Epic report (synthetic data)"])
    sheet.append([])
    sheet.append(EPIC_HEADER)
    for row in EPIC:
        sheet.append(row)
    for column in ("D", "F"):
        for cell in sheet[column][3:]:
            cell.number_format = "mm/dd/yyyy"
    book.properties.created = book.properties.modified = FIXED_TIME
    book.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Give every member of the workbook (and its "modified" property, which openpyxl sets on
    saving) one fixed time, so the script always writes the same bytes."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    members = [(name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
                if name == "docProps/core.xml" else data) for name, data in members]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6]), data,
                            compress_type=zipfile.ZIP_DEFLATED)


def main() -> None:
    write_csv(HERE / "aria_consults.csv", [ARIA_HEADER, *ARIA], encoding="cp1252")
    write_csv(HERE / "aria_consults_next_week.csv", [ARIA_HEADER, *ARIA_NEXT_WEEK], encoding="cp1252")
    (HERE / "aria_mapping.toml").write_text(ARIA_MAPPING, encoding="utf-8")
    write_csv(HERE / "mosaiq_export.csv", [*MOSAIQ_TITLE, MOSAIQ_HEADER, *MOSAIQ], delimiter=";", bom=True)
    (HERE / "mosaiq_mapping.toml").write_text(MOSAIQ_MAPPING, encoding="utf-8")
    epic(HERE / "epic_report.xlsx")
    (HERE / "epic_mapping.toml").write_text(EPIC_MAPPING, encoding="utf-8")
    write_csv(HERE / "registry.csv", [REGISTRY_HEADER, *REGISTRY], delimiter="|")
    synthea(HERE / "synthea")
    print(f"Wrote the screening samples in {HERE}")


if __name__ == "__main__":
    main()
