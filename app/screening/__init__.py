"""Eligible-patient lists from the EHR (``screen-import``): read any screening list, map its
columns, decide each row's MROQC eligibility from its ICD-10-CM codes, match it to the register,
and write the result in one audited, all-or-nothing transaction that can be undone in one step.

Headless: the window (``ui.screening_wizard``) and the command line (``app.screening.command``)
sit on top of the same steps:

``reading`` (CSV/xlsx/Synthea folder → a raw ``table``) → ``columns`` (header detection) and
``mapping`` (the mapping file or a saved profile) → ``rows`` (cells → typed rows, with
``dates``, ``codes``, ``payers``) → ``eligibility`` (codes → projects) → ``plan`` (rows against
the register: new / updated / unchanged / not eligible) → ``apply`` (write, undo).
The contract is INTERFACES.md "Eligible-patient lists from the EHR"; docs/screen-import.md.
"""
