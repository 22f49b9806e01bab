"""Client and models for the Udio task API. No Qt."""
