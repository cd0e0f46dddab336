"""Presentation: the command line, figures and the HTML report. Imported by no one."""
