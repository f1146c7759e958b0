"""Plain domain vocabulary shared by storage, rules, workbook and UI."""
