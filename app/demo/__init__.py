"""The deterministic synthetic demo facility (no real person's data).

``generator`` is the entry point (``DemoOptions``, ``generate_demo``); ``timeline`` places the
story's dated episodes, ``staff`` the people, roles and absences, ``cases`` the register with its
data-entry log and dosimetry, ``meetings`` the meetings and attendance, ``office`` the letters and
program years, and ``bulk`` writes the rows quickly.
"""
