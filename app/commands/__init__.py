"""The command line's parts: signing in from a terminal or standard input, the users commands,
printing. ``app.cli`` builds the parser and dispatches."""
