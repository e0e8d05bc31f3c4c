"""``make coverage``: code + functional coverage against each block's testplan.

    python -m tools.coverage [--block gemm ...] [--seed N] [--jobs N] [--per-test]
                             [--out build/coverage]

For every block with a ``tb/<blk>/testplan.yaml`` (or the ``--block`` ones): build the
Verilator coverage flavour of the plan's config, run the tests of ``tb/<blk>/<blk>_tests.py``
in one simulator process (``--per-test``: each in its own, for per-test figures; see
``block``), merge code coverage (``codecov``) and functional coverage (``funccov``) over
passing runs, check the testplan's gates and testpoints (``report``), and write

    build/coverage/index.html            the regression: one row per block, totals
    build/coverage/summary.json          the same, machine-readable (CI gates on ``ok``)
    build/coverage/<blk>/index.html      gates, code figures, testpoints, bins, tests, misses
    build/coverage/<blk>/source/         genhtml-annotated Verilog (lines, branches)
    build/coverage/<blk>/coverage.dat    merged Verilator data; <blk>.info the lcov form
    build/coverage/<blk>/report.json     the block's whole report (the index is made from these)

``make test`` runs the same per block (tests/sim/test_coverage.py), so CI gates on coverage
inside its one pytest run.

Exit status: 0 every block passes, 1 a gate failed, 2 the tool could not run.
"""
