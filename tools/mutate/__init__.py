"""``make mutate``: an MCY-style mutation campaign on the generated Verilog (issue 12).

For a block and a named config: Yosys ``mutate -list N -seed SEED`` samples N mutants of the
converted Verilog (every mode Yosys has: inv, const0, const1, cnot0, cnot1 on cell ports; the
list depends only on the Verilog, N and SEED, since the design is read under a fixed file name),
each mutant is written back to Verilog by Yosys and run against the block's regression:

1. fast mode, seed SEED (the HDL agents and checkers: stalls, protocol, X/Z on Icarus);
2. fast mode, another seed (a survivor of 1);
3. cycle mode, SEED (the tests that only run with the Python agents).

The first failing run kills it; a run that outlives its wall cap (derived from the unmutated
run's own time) is a hang, counted as killed and marked. Survivors of all three are
classified: **proved equivalent** when a Yosys ``miter -equiv`` + ``sat -tempinduct`` check from
the same initial state finishes within its time bound; **judged equivalent** when the block's
testplan (``mutation: equivalent:``) gives the reason; otherwise **live**. The kill score is
killed / (mutants - equivalent), gated per block by ``mutation: gate:`` in its testplan.

Modules: ``generate`` (Yosys list and apply), ``worker`` (one regression run in a subprocess,
so a hung simulator can be killed), ``equiv`` (the formal check), ``campaign`` (the loop and
the classification), ``report`` (JSON, HTML, the table), ``__main__`` (the command line).
"""
