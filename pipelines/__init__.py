"""Data warehouse for the Zielvereinbarung "Soziale Wohnhilfen" (Berlin)."""
