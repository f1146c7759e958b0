"""Program calculators (MVC P4P, MIPS 2018): pure functions over plain input."""
