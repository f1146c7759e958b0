"""Who may open a facility database and what they may do in it: users, roles, sign-in, the key
slots that unwrap an encrypted SQLite database, and lockout. Never imports Qt."""
