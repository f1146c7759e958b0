"""Collaborative-wide meetings and who attended them for which role.

Most of the time each required role's holder attends. Now and then a colleague stands in (an
acceptable substitute, or one the policy does not accept), a role goes uncovered, or one person
signs in for two roles. A few of these are placed on purpose at chosen meetings so that every
attendance rule, and both continuing-education rules, have something to find in any demo.
"""

from __future__ import annotations

import datetime as dt
import random

from app.demo.staff import Assignment, Person, holders
from app.demo.timeline import Timeline

#: (month, season) of the consortium's meetings; a three-meeting year has no winter meeting.
SLOTS = ((3, "Spring"), (6, "Summer"), (10, "Fall"), (12, "Winter"))
IN_PERSON_SEASONS = ("Spring", "Fall")
ALL_VIRTUAL_YEARS = (2020, 2021)  # the pandemic years
VENUES = ("Ann Arbor, MI", "Lansing, MI", "Novi, MI", "Grand Rapids, MI")

CHAMPION_INELIGIBLE = ("RES-01", "MD-01", "NP-01")  # a resident, a CMO (the facility has >2 ROs), an NP
PHYSICS_INELIGIBLE = ("DOS-03", "RTT-01")  # not on MROQC / not physics
CDA_SUBSTITUTES = ("RN-01", "ADM-01")  # work on MROQC
CDA_INELIGIBLE = ("RN-02",)  # does not work on MROQC
EXTRA_POOL = ("DOS-01", "DOS-02", "ADM-01", "RN-01", "RES-01", "MD-02")
THERAPISTS = ("RTT-01", "RTT-02")
CE_BY_PERSON = {"RTT-01": "arrt", "RTT-02": "asrt"}


def _meeting_day(rng: random.Random, year: int, month: int) -> dt.date:
    """The second or third Friday of the month."""
    day = dt.date(year, month, 8)
    day += dt.timedelta(days=(4 - day.weekday()) % 7)
    return day + dt.timedelta(days=7 * rng.randint(0, 1))


def schedule(rng: random.Random, timeline: Timeline) -> list[dict]:
    """Three or four meetings a year, in person in spring and fall, by webinar otherwise."""
    rows = []
    for year in timeline.years():
        dropped = None if rng.random() < 0.5 else "Winter"
        for month, season in SLOTS:
            if season == dropped:
                continue
            day = _meeting_day(rng, year, month)
            in_person = season in IN_PERSON_SEASONS and year not in ALL_VIRTUAL_YEARS
            if not timeline.joined <= day <= timeline.as_of:
                continue
            rows.append({
                "meeting_id": f"MTG-{day.isoformat()}", "date": day,
                "format": "in_person" if in_person else "virtual",
                "title": f"MROQC collaborative-wide meeting, {season} {year}",
                "location": rng.choice(VENUES) if in_person else "Webinar",
            })
    return rows


def _scripts(rng: random.Random, meetings: list[dict]) -> dict[str, str]:
    """meeting_id → a situation placed on purpose: the CE mistakes at the latest meetings of their
    format, three attendance lapses at earlier meetings picked by the seed."""
    scripts: dict[str, str] = {}
    for fmt, script in (("in_person", "mdcb_without_cmd_id"), ("virtual", "ce_for_webinar")):
        latest = [m for m in meetings if m["format"] == fmt]
        if latest:
            scripts[latest[-1]["meeting_id"]] = script
    earlier = [m["meeting_id"] for m in meetings[:-1] if m["meeting_id"] not in scripts]
    lapses = ("resident_for_champion", "double_role", "cda_absent")
    for meeting_id, script in zip(rng.sample(earlier, min(len(earlier), len(lapses))), lapses, strict=False):
        scripts[meeting_id] = script
    return scripts


class _Sheet:
    """The sign-in sheet of one meeting."""

    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.rows: list[dict] = []

    def sign(self, role: str, staff_id: str, credit: str | None = None) -> None:
        if not any(r["role"] == role and r["staff_id"] == staff_id for r in self.rows):
            self.rows.append({"meeting_id": self.meeting_id, "role": role, "staff_id": staff_id,
                              "ce_credit": credit})

    def present(self) -> set[str]:
        return {r["staff_id"] for r in self.rows}

    def covering(self, role: str) -> list[str]:
        return [r["staff_id"] for r in self.rows if r["role"] == role]


class AttendanceBuilder:
    """Fills each meeting's sign-in sheet role by role, then the colleagues who came along."""

    def __init__(self, rng: random.Random, staff: list[Person], roles: list[Assignment]) -> None:
        self.rng = rng
        self.staff = {p.staff_id: p for p in staff}
        self.roles = roles
        self.oncologists = [p for p in staff if p.profession == "radiation_oncologist"]

    def build(self, meetings: list[dict]) -> list[dict]:
        scripts = _scripts(self.rng, meetings)
        rows: list[dict] = []
        for meeting in meetings:
            rows += self._meeting(meeting, scripts.get(meeting["meeting_id"]))
        return rows

    def _meeting(self, meeting: dict, script: str | None) -> list[dict]:
        day, sheet = meeting["date"], _Sheet(meeting["meeting_id"])
        self._champion(sheet, day, "ineligible" if script == "resident_for_champion" else None)
        self._physics(sheet, day)
        cda_outcome = {"double_role": "double", "cda_absent": "absent"}.get(script or "")
        self._cda(sheet, day, cda_outcome)
        self._extras(sheet, meeting["format"] == "in_person")
        if meeting["format"] == "in_person":
            self._credits(sheet)
        if script == "mdcb_without_cmd_id":
            sheet.sign("attendee", "DOS-03")
            self._request(sheet, "DOS-03", "mdcb")  # a dosimetrist without a CMD ID asks for MDCB credit
        elif script == "ce_for_webinar":
            sheet.sign("attendee", "RTT-01")
            self._request(sheet, "RTT-01", "arrt")  # MROQC gives no CE credit for webinars
        return sheet.rows

    def _outcome(self, holder: float, substitute: float, ineligible: float) -> str:
        roll = self.rng.random()
        if roll < holder:
            return "holder"
        if roll < holder + substitute:
            return "substitute"
        return "ineligible" if roll < holder + substitute + ineligible else "absent"

    def _champion(self, sheet: _Sheet, day: dt.date, forced: str | None) -> None:
        rng = self.rng
        current = holders(self.roles, "clinical_champion", day)
        outcome = forced or self._outcome(0.82, 0.11, 0.025)
        if outcome == "holder" and current:
            sheet.sign("clinical_champion", current[0])
        elif outcome == "substitute":
            others = [p for p in self.oncologists if p.staff_id not in current]
            treating = [p for p in others if p.treats_mroqc_patients]
            pool = treating if treating and rng.random() < 0.75 else others
            sheet.sign("clinical_champion", rng.choice(pool).staff_id)
        elif outcome == "ineligible":
            sheet.sign("clinical_champion", "RES-01" if forced else rng.choice(CHAMPION_INELIGIBLE))

    def _physics(self, sheet: _Sheet, day: dt.date) -> None:
        rng = self.rng
        current = holders(self.roles, "physics_lead", day)
        outcome = self._outcome(0.84, 0.11, 0.02)
        if outcome == "holder" and current:
            sheet.sign("physics_lead", current[0])
        elif outcome == "substitute":
            pool = [s for s in ("PHY-01", "PHY-02", "DOS-01", "DOS-02") if s not in current]
            sheet.sign("physics_lead", rng.choice(pool))
        elif outcome == "ineligible":
            sheet.sign("physics_lead", rng.choice(PHYSICS_INELIGIBLE))

    def _cda(self, sheet: _Sheet, day: dt.date, forced: str | None) -> None:
        rng = self.rng
        current = holders(self.roles, "cda", day)
        outcome = forced or ("double" if rng.random() < 0.025 else self._outcome(0.82, 0.08, 0.02))
        if outcome == "holder" and current:
            attending = current if len(current) > 1 and rng.random() < 0.4 else [rng.choice(current)]
            for staff_id in attending:
                sheet.sign("cda", staff_id)
        elif outcome == "substitute":
            pool = [s for s in CDA_SUBSTITUTES if s not in sheet.present()]
            sheet.sign("cda", rng.choice(pool))
        elif outcome == "ineligible":
            sheet.sign("cda", rng.choice(CDA_INELIGIBLE))
        elif outcome == "double":
            # the physics lead (or whoever came for physics) also signs in for the absent CDAs
            covering = sheet.covering("physics_lead") or holders(self.roles, "physics_lead", day)
            if not sheet.covering("physics_lead"):
                sheet.sign("physics_lead", covering[0])
            sheet.sign("cda", covering[0])

    def _extras(self, sheet: _Sheet, in_person: bool) -> None:
        """Colleagues who came along without covering a role."""
        rng = self.rng
        if in_person:  # the therapists come for the in-person meetings, where CE credit is given
            for staff_id in THERAPISTS:
                if rng.random() < 0.7:
                    sheet.sign("attendee", staff_id)
        others = [p.staff_id for p in self.oncologists] + list(EXTRA_POOL)
        pool = [s for s in others if s not in sheet.present()]
        count = rng.randint(1, 2) if in_person else rng.randint(0, 2)
        for staff_id in rng.sample(pool, min(count, len(pool))):
            sheet.sign("attendee", staff_id)

    def _credits(self, sheet: _Sheet) -> None:
        """CE requests at an in-person meeting: MDCB for CMDs, ARRT/ASRT for therapists."""
        for staff_id in sorted(sheet.present()):
            person = self.staff[staff_id]
            if staff_id in CE_BY_PERSON:  # the therapists come for the certificate
                self._request(sheet, staff_id, CE_BY_PERSON[staff_id])
            elif person.profession == "dosimetrist" and person.cmd_id and self.rng.random() < 0.75:
                self._request(sheet, staff_id, "mdcb")

    @staticmethod
    def _request(sheet: _Sheet, staff_id: str, credit: str) -> None:
        """Put the request on the person's first row of the sheet (one request per meeting)."""
        for row in sheet.rows:
            if row["staff_id"] == staff_id:
                row["ce_credit"] = credit
                return
