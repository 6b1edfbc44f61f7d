"""Printed documents: ballots, tally sheets, notices, login cards. Read by the web layer and the command line."""
