"""Reports: the signed self-audit PDF and the submission files."""
