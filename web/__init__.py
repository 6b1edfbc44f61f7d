"""The web layer: thin controllers per audience (deputy tablet, secretariat console, JSON API)."""
