"""Hypothesis profiles: ``ci`` (the default, a few minutes for the whole fuzz folder on 2 cores)
and ``soak`` (``make fuzz-soak``: many more examples, no deadline)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=int(os.environ.get("POSESTUDIO_FUZZ_EXAMPLES", "40")),
                          deadline=3000, derandomize=True, print_blob=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])
settings.register_profile("soak", max_examples=int(os.environ.get("POSESTUDIO_FUZZ_EXAMPLES", "2000")),
                          deadline=None, print_blob=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    """How many inputs each reader saw (docs/RELIABILITY.md quotes these)."""
    import sys

    mod = sys.modules.get("tests.fuzz.test_readers")
    counts = getattr(mod, "COUNTS", None)
    if counts:
        terminalreporter.write_line("fuzz examples per reader: " + ", ".join(f"{k} {v}" for k, v in
                                                                            sorted(counts.items())))
