"""Measures, reports, evaluation and the follow-up letters: what offices read out of the record."""
