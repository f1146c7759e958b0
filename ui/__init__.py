"""The Qt desktop front end: thin over ``app.services``; widgets never run SQL."""
