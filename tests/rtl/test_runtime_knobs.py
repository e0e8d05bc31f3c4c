"""Run-time values (cfg ports, e.g. delta_lstm's thresholds) are not part of the Verilog: a new
value converts to the very same file, so no simulator rebuilds (issue: a new theta used to
re-run conversion and Verilator)."""

from models.configs import get_config
from rtl.convert import convert


def test_a_new_threshold_reuses_the_verilog():
    p = get_config("delta_lstm", "typical")
    f = convert(p)
    text, mtime = f.read_text(), f.stat().st_mtime_ns
    for tx, th in ((0, 0), (3, 200), (1 << (p.act_width - 1), 7)):
        q = p.replace(theta_x=tx, theta_h=th)
        assert q.tag == p.tag
        g = convert(q)
        assert g == f
        assert g.read_text() == text, "the Verilog (or its header) changed with a threshold"
        assert g.stat().st_mtime_ns == mtime, "the file was rewritten: builds would rerun"


def test_build_params_resets_only_runtime_fields():
    p = get_config("delta_lstm", "max").replace(theta_x=5, theta_h=9)
    b = p.build_params()
    assert (b.theta_x, b.theta_h) == (type(p)().theta_x, type(p)().theta_h)
    assert b.replace(theta_x=5, theta_h=9) == p
    g = get_config("gemm", "typical")
    assert g.build_params() is g  # no run-time fields
