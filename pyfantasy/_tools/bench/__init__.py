"""``pyfantasy bench``'s implementation, one job a module: workload (cassettes to timed bodies), pipelines,
summaries and frontends (the hand-written peers' parts), sdks and contenders, run (check and time), output."""
