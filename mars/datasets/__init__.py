"""Registration imports."""
