"""`make bench` (`python -m bench [names...]`): how long piaojue takes, against a reference
measured in the same run, and whether each figure is inside its target.

A benchmark is a function in a module of this package that returns a list of records
(`bench.core.record`); register it below with one line, `name: "module:function"`.
Each benchmark runs in a fresh Python process (`bench.child`), so its memory figures
are its own; it can measure its reference in another fresh process
(`bench.core.run_isolated`). The run writes bench/results.json (git-ignored) and prints
a table; `python -m bench --help` lists the options.
"""

BENCHMARKS: dict[str, str] = {
    "print-ballots-12": "bench.print_ballots:ballots_12",
    "print-ballots-40": "bench.print_ballots:ballots_40",
    "print-ballots-12-ug": "bench.print_ballots:ballots_12_ug",
    "print-ballots-12-bo": "bench.print_ballots:ballots_12_bo",
    "proposal-list": "bench.proposal_list:proposal_list",
    "project-dashboard": "bench.project_dashboard:project_dashboard",
    "rehearsal-sqlite": "bench.rehearsal:on_sqlite",
    "rehearsal-postgresql": "bench.rehearsal:on_postgresql",
    "ballot-opening": "bench.ballot_opening:ballot_opening",
    "seal-in-chromium": "bench.seal_in_chromium:seal_in_chromium",
    "province": "bench.province:province",
}
