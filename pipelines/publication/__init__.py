"""Publication gate (Great Expectations suites in ``expectations/``) and atomic publication of the marts."""
