"""The policy rules of POLICY.md: pure functions over a plain snapshot, the as-of date passed in.

Find a rule by its ID: docs/rules.md maps each ID to its module here.
"""
