"""Detection: set-based SQL metrics over the readings (metrics.py) and pure rules over them (rules.py)."""
