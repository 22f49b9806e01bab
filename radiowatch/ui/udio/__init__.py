"""The Udio tab: fetch AI-generated songs, preview them, add them to the catalog."""
