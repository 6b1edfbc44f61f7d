"""The printed documents' words that a congress with a second language translates: the paper
ballot, the tally sheet and the presidium's notice (voting.vocabulary). Each is the Chinese
exactly as printed; {name} is a figure the software fills in, in both languages."""

COMMON: tuple[str, ...] = ()
APPROVAL: tuple[str, ...] = ()
SATISFACTION: tuple[str, ...] = ()
