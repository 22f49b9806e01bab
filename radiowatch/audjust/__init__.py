"""Audjust-style analyze / resize / export: the API client, the similarity codec, a local implementation. No Qt."""
