"""Helpers that need no Django: environment parsing, ID numbers, calendars, crypto."""
