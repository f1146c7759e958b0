"""The one reader of the app's TOML files (``app.typed_toml``) and the models it reads: every
bundled file loads, and a hand-edited one is refused with the file, the key and the line."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated

import msgspec
import pytest

from app.calculators.mips_years import MipsYear, MipsYearError
from app.calculators.program_numbers import (
    BcbsmNumbers,
    CalculatorNumbers,
    ProgramFileError,
    bcbsm_numbers,
    program_numbers,
)
from app.domain.qip_process import QipProcess, QipProcessError, process_steps
from app.domain.security_policy import SecurityPolicy, SecurityPolicyError, security_policy
from app.exports.submissions import ExportDefinitionError, RosterDefinition, mdcb_columns
from app.paths import resource
from app.rules.policy_file import Policy, PolicyFileError
from app.rules.quality_file import QualityFileError, QualityRules
from app.typed_toml import As, from_data, key, key_lines, line_of, read_text


def text_of(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")


# ---- where a key is written -------------------------------------------------------------------

def test_key_lines_places_tables_arrays_quoted_keys_and_skips_multiline_strings() -> None:
    text = "\n".join([
        'year = 2025',                      # 1
        '[enrollment]',                     # 2
        'zero_enrollment_days = 30  # c',   # 3
        '[[rules]]',                        # 4
        'id = "A"',                         # 5
        'source = """two',                  # 6
        'fake = 1',                         # 7  (inside the string: not a key)
        'lines"""',                         # 8
        '[[rules]]',                        # 9
        'check = { kind = "age" }',         # 10
        '[measures."143"]',                 # 11
        '"BCBS OF MICHIGAN" = "bcbsm"',     # 12
    ])
    lines = key_lines(text)
    assert lines["year"] == 1 and lines["enrollment"] == 2 and lines["enrollment.zero_enrollment_days"] == 3
    assert lines["rules[0]"] == 4 and lines["rules[0].id"] == 5 and lines["rules[1].check"] == 10
    assert "rules[0].fake" not in lines
    assert lines["measures.143"] == 11 and lines["measures.143.BCBS OF MICHIGAN"] == 12
    # a key inside an inline table or a list: the line of the nearest key written in the file
    assert line_of("rules[1].check.min_years", lines) == 10
    assert line_of("nowhere.at_all", lines) is None


# ---- a model of one's own: the reader's rules ---------------------------------------------------

class SmallError(ValueError):
    pass


def _even(value: object) -> int:
    if not isinstance(value, int) or value % 2:
        raise ValueError(f"must be an even number (found {value!r})")
    return value


@dataclasses.dataclass(frozen=True)
class Inner:
    depth: Annotated[int, msgspec.Meta(ge=1, le=9)]


@dataclasses.dataclass(frozen=True)
class Small:
    count: Annotated[int, msgspec.Meta(ge=0)]
    pair: Annotated[int, As(_even)] = key("table.pair")
    inner: Inner = key("table.inner")
    plain: int = 0


SMALL = "count = 1\nplain = 2\n[table]\npair = 4\n[table.inner]\ndepth = 3\n"


def test_each_key_once_with_its_place_in_the_file() -> None:
    assert read_text(SMALL, "s.toml", Small, SmallError) == Small(1, 4, Inner(3), 2)


def test_every_problem_is_said_at_once_with_key_and_line_in_declaration_order() -> None:
    text = SMALL.replace("count = 1", "count = -1").replace("pair = 4", "pair = 5").replace("depth = 3", "depth = 10")
    with pytest.raises(SmallError) as info:
        read_text(text.replace("plain = 2", 'plain = "2"'), "s.toml", Small, SmallError)
    assert str(info.value) == (
        "s.toml: line 1: 'count' must be a whole number ≥ 0 (found -1); "
        "line 4: 'table.pair' must be an even number (found 5); "
        "line 6: 'table.inner.depth' must be a whole number from 1 to 9 (found 10); "
        "Expected `int`, got `str` - at `$.plain` (line 2)")


def test_a_missing_key_has_no_line_and_a_key_with_a_default_may_be_left_out() -> None:
    with pytest.raises(SmallError, match=r"^s.toml: 'count' is missing; 'table.inner.depth' is missing$"):
        read_text("[table]\npair = 2\n[table.inner]\n", "s.toml", Small, SmallError)


def test_an_unknown_key_is_said_alone_with_its_line_and_what_the_table_knows() -> None:
    with pytest.raises(SmallError) as info:
        read_text(SMALL.replace("pair = 4", "pair = 4\npiar = 4"), "s.toml", Small, SmallError)
    assert str(info.value) == "s.toml: unknown key(s) 'table.piar' ('table.piar' is on line 5); known in [table]: pair"
    with pytest.raises(SmallError, match=r"unknown key\(s\) 'extra'; known keys: count, plain"):
        from_data({"count": 1, "extra": {}, "table": {"pair": 2, "inner": {"depth": 1}}}, "s", Small, SmallError)


def test_bare_keys_say_the_line_after() -> None:
    with pytest.raises(SmallError, match=r"^s.toml: count must be a whole number ≥ 0 \(found -1\), on line 1$"):
        read_text(SMALL.replace("count = 1", "count = -1"), "s.toml", Small, SmallError, quoted=False)


def test_not_toml_at_all() -> None:
    with pytest.raises(SmallError, match=r"^s.toml: not valid TOML \(.*line 1"):
        read_text("count = = 1", "s.toml", Small, SmallError)


# ---- every bundled file, and a damaged copy of each ---------------------------------------------

BUNDLED = [
    (("policy", "2025.toml"), Policy, PolicyFileError),
    (("quality", "2025.toml"), QualityRules, QualityFileError),
    (("programs", "mips", "2026.toml"), MipsYear, MipsYearError),
    (("programs", "qip_process.toml"), QipProcess, QipProcessError),
    (("programs", "calculators.toml"), CalculatorNumbers, ProgramFileError),
    (("programs", "bcbsm.toml"), BcbsmNumbers, ProgramFileError),
    (("exports", "mdcb_roster.toml"), RosterDefinition, ExportDefinitionError),
    (("security.toml",), SecurityPolicy, SecurityPolicyError),
]


@pytest.mark.parametrize(("parts", "model", "error"), BUNDLED, ids=lambda x: "/".join(x) if isinstance(x, tuple) else "")
def test_a_bundled_file_loads_and_a_misspelt_key_in_it_is_refused_with_its_line(parts, model, error) -> None:
    text = text_of(*parts)
    assert isinstance(read_text(text, parts[-1], model, error), model)
    lines = text.splitlines()
    number, line = next((i, x) for i, x in enumerate(lines, 1) if re.match(r"^[a-z_]+ = ", x))
    name = line.split(" ")[0]
    lines[number - 1] = line.replace(name, name + "_typo", 1)
    with pytest.raises(error) as info:
        read_text("\n".join(lines), parts[-1], model, error)
    said = str(info.value)  # a table's key in the reader's words; a key in a [[list]] item in msgspec's
    assert said.startswith(f"{parts[-1]}: unknown key(s) '") or said.startswith(f"{parts[-1]}: Object contains unknown")
    assert f"{name}_typo" in said and f"line {number})" in said


@pytest.mark.parametrize(("parts", "model", "error", "edit", "said"), [
    (("security.toml",), SecurityPolicy, SecurityPolicyError, ("min_length = 12", "min_length = 4"),
     "security.toml: line 5: 'passwords.min_length' must be a whole number from 8 to 256 (found 4)"),
    (("programs", "qip_process.toml"), QipProcess, QipProcessError, ("due_days = 30", "due_days = -30"),
     "qip_process.toml: Expected `int` >= 0 - at `$.step[2].due_days` (line 19)"),
    (("exports", "mdcb_roster.toml"), RosterDefinition, ExportDefinitionError, ('field = "email"', 'field = "mail"'),
     "mdcb_roster.toml: Invalid enum value 'mail' - at `$.column[3].field` (line 23)"),
    (("programs", "calculators.toml"), CalculatorNumbers, ProgramFileError,
     ("conditions_per_measure = 2", "conditions_per_measure = 0"),
     "calculators.toml: line 7: 'mvc.conditions_per_measure' must be a whole number ≥ 1 (found 0)"),
    (("programs", "bcbsm.toml"), BcbsmNumbers, ProgramFileError, ('year_starts = "03-01"', 'year_starts = "March"'),
     "bcbsm.toml: Expected `str` matching regex"),
    (("quality", "2025.toml"), QualityRules, QualityFileError, ('year = 2025', 'year = "2025"'),
     "2025.toml: Expected `int`, got `str` - at `$.year` (line 16)"),
])
def test_a_bad_value_names_the_file_the_key_and_the_line(parts, model, error, edit, said) -> None:
    text = text_of(*parts)
    assert edit[0] in text
    with pytest.raises(error) as info:
        read_text(text.replace(edit[0], edit[1], 1), parts[-1], model, error)
    assert str(info.value).startswith(said)
    line = re.search(r"line (\d+)", said)
    if line:  # the line quoted is the file's own
        assert edit[1] in text.replace(edit[0], edit[1], 1).splitlines()[int(line.group(1)) - 1]


def test_the_loaders_give_what_their_callers_read() -> None:
    assert security_policy().kdf.memory_kib >= 8 and security_policy().min_password_length >= 8
    assert [s.key for s in process_steps()][:3] == ["outreach", "follow_up", "status_notice"]
    version, columns = mdcb_columns()
    assert version == "1" and columns[0] == ("CMD ID", "cmd_id")
    assert program_numbers()["mvc"]["conditions_per_measure"] == 2
    assert bcbsm_numbers()["vbr"]["year_starts"] == "03-01"
    assert [u["verified"] for u in bcbsm_numbers()["vbr"]["uplift"]] == [True, False]
