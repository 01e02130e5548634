"""News question-answering assistant with verified, character-exact citations."""

__version__ = "0.1.0"
