"""The facility workbook (INTERFACES.md): one schema drives reading, validation and export."""
