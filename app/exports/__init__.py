"""Submission files: enrollment, dosimetry, attendance, MDCB roster, CE certificate requests."""
