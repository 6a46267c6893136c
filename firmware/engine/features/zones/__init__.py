"""Paging zones: a phone pages a zone by code; park announcements play over zones too."""
