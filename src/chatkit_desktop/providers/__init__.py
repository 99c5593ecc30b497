"""Turning the user's provider choice into an Agents SDK model, one request at a time."""
