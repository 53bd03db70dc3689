"""Ingest: find files under data/raw/, check them, record every version, load the accepted ones."""
