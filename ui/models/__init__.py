"""Qt item models that wrap service query results."""
