"""Fast mode's harness top: the block's Verilog wrapped in the HDL halves of the stream agents
(tb/hdl/zs_stream.v), generated from the block's own port list.

For every ``s_axis_*`` input stream a ``zs_source``, for every ``m_axis_*`` output a
``zs_sink``, on every stream a ``zs_check``; one cycle counter; a mid-stream reset at a given
cycle or after a given number of accepted input beats. The top keeps the block's own stream
and ``cfg_*`` ports, muxed onto the block when ``zs_cycle_mode`` is 1, so that the tests
that must react cycle by cycle run on the same build with the Python agents. The Python half
is tb/common/fast.py; the names below are the contract between the two (``harness_ports``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STREAM_V = ROOT / "tb" / "hdl" / "zs_stream.v"
#: beats (and transactions) each source and sink memory holds unless the run asks for more:
#: 2**16 covers every regression test (the largest, delta_lstm's LUT sweep, is about 6.5 k
#: beats per stream) at a few MB of simulator memory per stream
DEFAULT_DEPTH = 1 << 16
MID_RESET_CYCLES = 4  # = tb.common.bench.RESET_CYCLES: a mid-stream reset lasts as long
HALF_PERIOD_NS = 5  # = tb.common.bench.CLK_PERIOD_NS / 2: the HDL clock has the same period
#: defined by the Verilator harness build: fast mode's clock is then the input ``HCLK_PORT``,
#: toggled every HALF_PERIOD_NS by the project's Verilator main (tests/sim/vlt_main.py), not an
#: ``always #HALF_PERIOD_NS`` (Icarus keeps that; it made Verilator need --timing and resume a
#: coroutine every half period)
HCLK_DEFINE = "ZS_HCLK_PORT"
HCLK_PORT = "zs_hclk"
SUFFIXES = ("tdata", "tvalid", "tready", "tlast", "tuser")

#: a port declaration, at any indent: MyHDL writes them flush left, Yosys's write_verilog (the
#: mutants of tools/mutate) two spaces in; only names in the module header count, since Yosys
#: also declares ``input``s of the functions it emits inside the module body
_PORT = re.compile(r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(?:\[(\d+):0\]\s+)?"
                   r"(\w+);", re.M)


class HarnessError(RuntimeError):
    """The block's ports do not form streams the harness can wrap."""


@dataclasses.dataclass
class Stream:
    prefix: str
    is_input: bool
    data_w: int
    user_w: int  # 0: no tuser
    has_last: bool


@dataclasses.dataclass
class Ports:
    module: str
    streams: list[Stream]
    cfg: list[tuple[str, int]]  # (name, width) of other inputs (cfg_*)


def read_ports(vfile: Path, module: str) -> Ports:
    text = Path(vfile).read_text()
    m = re.search(rf"module\s+{module}\s*\(", text)
    if m is None:
        raise HarnessError(f"{vfile} defines no module {module}")
    body = text[m.end():]
    end = body.find("endmodule")
    header = set(re.findall(r"\w+", body[:body.find(")")]))
    decls = {}
    for d, w, name in _PORT.findall(body[:end]):
        if name in header and name not in decls:
            decls[name] = (d, int(w) + 1 if w else 1)
    streams, cfg = [], []
    for name, (d, w) in decls.items():
        if name.endswith("_tdata"):
            pre = name[: -len("_tdata")]
            for req in ("tvalid", "tready"):
                if f"{pre}_{req}" not in decls:
                    raise HarnessError(f"{module}: stream {pre} has no {pre}_{req}")
            streams.append(Stream(pre, d == "input", w, decls.get(f"{pre}_tuser", ("", 0))[1],
                                  f"{pre}_tlast" in decls))
    stream_ports = {f"{s.prefix}_{x}" for s in streams for x in SUFFIXES}
    for name, (d, w) in decls.items():
        if d == "input" and name not in stream_ports and name not in ("clk", "rst"):
            cfg.append((name, w))
    if not any(s.is_input for s in streams) or not any(not s.is_input for s in streams):
        raise HarnessError(f"{module}: the harness needs at least one input and one output "
                           f"stream (found {[s.prefix for s in streams]})")
    return Ports(module, streams, cfg)


def top_name(module: str) -> str:
    return f"zs_fast_{module}"


def _rng(w: int) -> str:
    return f"[{w - 1}:0] " if w > 1 else ""


def generate(ports: Ports, depth: int = DEFAULT_DEPTH) -> str:
    if depth < 2:
        raise HarnessError(f"harness memories need a depth of at least 2 (got {depth})")
    # gate indices: the sources in prefix order (tb/common/fast.py numbers them the same way)
    srcs = sorted((s for s in ports.streams if s.is_input), key=lambda s: s.prefix)
    sinks = [s for s in ports.streams if not s.is_input]
    ns = len(srcs)
    sw = max(1, (ns - 1).bit_length())
    io = ["input wire clk", "input wire rst", "input wire zs_cycle_mode",
          "input wire zs_hdl_clock", "output wire zs_clk",
          "input wire zs_load", "input wire zs_dump", "input wire zs_run",
          "input wire [31:0] zs_reset_at", "input wire [31:0] zs_reset_hs",
          "output wire [31:0] zs_reset_cycle", "input wire [31:0] zs_quiet",
          "output reg [31:0] zs_cycle", "output wire zs_src_done", "output wire zs_done"]
    for name, w in ports.cfg:
        io.append(f"input wire {_rng(w)}{name}")
    body = []
    for s in ports.streams:
        p = s.prefix
        din, dout = ("input", "output") if s.is_input else ("output", "input")
        io += [f"{din} wire {_rng(s.data_w)}{p}_tdata", f"{din} wire {p}_tvalid",
               f"{dout} wire {p}_tready"]
        if s.has_last:
            io.append(f"{din} wire {p}_tlast")
        if s.user_w:
            io.append(f"{din} wire {_rng(s.user_w)}{p}_tuser")
        io += [f"input wire [1:0] {p}_zs_stall_mode", f"input wire [15:0] {p}_zs_stall_thr",
               f"input wire [15:0] {p}_zs_stall_go", f"input wire [15:0] {p}_zs_stall_stop",
               f"input wire [31:0] {p}_zs_stall_seed",
               f"output wire [2:0] {p}_zs_rule", f"output wire [31:0] {p}_zs_rule_cycle"]
        if s.is_input:
            io += [f"input wire [31:0] {p}_zs_n_beats", f"output wire [31:0] {p}_zs_n_txns",
                   f"output wire [31:0] {p}_zs_first_cycle"]
        else:
            io += [f"output wire [31:0] {p}_zs_n_beats", f"output wire [31:0] {p}_zs_last_cycle",
                   f"output wire {p}_zs_overflow"]
        uw = max(s.user_w, 1)
        body.append(f"    // -- stream {p} ({'in' if s.is_input else 'out'})")
        body.append(f"    wire {_rng(s.data_w)}d_{p}_tdata; wire d_{p}_tvalid; "
                    f"wire d_{p}_tready; wire d_{p}_tlast; wire [{uw - 1}:0] d_{p}_tuser;")
        if s.is_input:
            i = srcs.index(s)
            body.append(f"    wire {_rng(s.data_w)}z_{p}_tdata; wire z_{p}_tvalid; "
                        f"wire z_{p}_tlast; wire [{uw - 1}:0] z_{p}_tuser; wire z_{p}_done;")
            body.append(
                f"    zs_source #(.W({s.data_w}), .UW({uw}), .DEPTH({depth}), "
                f".TDEPTH({depth}), .NS({ns}), .SW({sw}), .FILE_IN(\"zs_{p}.hex\"), "
                f".FILE_CYC(\"zs_{p}_cyc.hex\")) zs_src_{p} (\n"
                f"        .clk(zs_clk), .rst(rst), .load(zs_load), .dump(zs_dump), .run(zs_run),\n"
                f"        .mid_rst(mid_rst), .n_beats({p}_zs_n_beats), .cycle(zs_cycle),\n"
                f"        .counts(counts), .stall_mode({p}_zs_stall_mode),\n"
                f"        .stall_thr({p}_zs_stall_thr), .stall_go({p}_zs_stall_go),\n"
                f"        .stall_stop({p}_zs_stall_stop), .stall_seed({p}_zs_stall_seed),\n"
                f"        .tdata(z_{p}_tdata), .tvalid(z_{p}_tvalid), .tready(d_{p}_tready),\n"
                f"        .tlast(z_{p}_tlast), .tuser(z_{p}_tuser), .n_txns({p}_zs_n_txns),\n"
                f"        .first_cycle({p}_zs_first_cycle), .done(z_{p}_done));")
            body.append(f"    assign counts[{i * 32 + 31}:{i * 32}] = {p}_zs_n_txns;")
            body.append(f"    assign d_{p}_tdata = zs_cycle_mode ? {p}_tdata : z_{p}_tdata;")
            body.append(f"    assign d_{p}_tvalid = zs_cycle_mode ? {p}_tvalid : z_{p}_tvalid;")
            last = f"{p}_tlast" if s.has_last else "1'b0"
            body.append(f"    assign d_{p}_tlast = zs_cycle_mode ? {last} : z_{p}_tlast;")
            user = f"{p}_tuser" if s.user_w else "1'b0"
            body.append(f"    assign d_{p}_tuser = zs_cycle_mode ? {user} : z_{p}_tuser;")
            body.append(f"    assign {p}_tready = d_{p}_tready;")
        else:
            body.append(f"    wire z_{p}_tready;")
            body.append(
                f"    zs_sink #(.W({s.data_w}), .UW({uw}), .DEPTH({depth}), "
                f".FILE_OUT(\"zs_{p}.hex\"), .FILE_CYC(\"zs_{p}_cyc.hex\")) zs_snk_{p} (\n"
                f"        .clk(zs_clk), .rst(rst), .dump(zs_dump), .force_ready(zs_src_done),\n"
                f"        .hold(mid_rst), .reseed(zs_load),\n"
                f"        .cycle(zs_cycle), .stall_mode({p}_zs_stall_mode),\n"
                f"        .stall_thr({p}_zs_stall_thr), .stall_go({p}_zs_stall_go),\n"
                f"        .stall_stop({p}_zs_stall_stop), .stall_seed({p}_zs_stall_seed),\n"
                f"        .tdata(d_{p}_tdata),\n"
                f"        .tvalid(d_{p}_tvalid && !zs_cycle_mode), .tready(z_{p}_tready),\n"
                f"        .tlast(d_{p}_tlast), .tuser(d_{p}_tuser), .n_beats({p}_zs_n_beats),\n"
                f"        .last_cycle({p}_zs_last_cycle),\n"
                f"        .overflow({p}_zs_overflow));")
            body.append(f"    assign d_{p}_tready = zs_cycle_mode ? {p}_tready : z_{p}_tready;")
            body.append(f"    assign {p}_tdata = d_{p}_tdata; assign {p}_tvalid = d_{p}_tvalid;")
            if s.has_last:
                body.append(f"    assign {p}_tlast = d_{p}_tlast;")
            else:
                body.append(f"    assign d_{p}_tlast = 1'b0;")
            if s.user_w:
                body.append(f"    assign {p}_tuser = d_{p}_tuser;")
            else:
                body.append(f"    assign d_{p}_tuser = 1'b0;")
        body.append(
            f"    zs_check #(.W({s.data_w}), .UW({uw})) zs_chk_{p} (.clk(zs_clk), .rst(dut_rst),\n"
            f"        .cycle(zs_cycle), .tdata(d_{p}_tdata), .tvalid(d_{p}_tvalid),\n"
            f"        .tready(d_{p}_tready), .tlast(d_{p}_tlast), .tuser(d_{p}_tuser),\n"
            f"        .rule({p}_zs_rule), .rule_cycle({p}_zs_rule_cycle));")
    conns = ["        .clk(zs_clk)", "        .rst(dut_rst)"]
    conns += [f"        .{n}({n})" for n, _ in ports.cfg]
    for s in ports.streams:
        p = s.prefix
        conns += [f"        .{p}_tdata(d_{p}_tdata)", f"        .{p}_tvalid(d_{p}_tvalid)",
                  f"        .{p}_tready(d_{p}_tready)"]
        if s.has_last:
            conns.append(f"        .{p}_tlast(d_{p}_tlast)")
        if s.user_w:
            conns.append(f"        .{p}_tuser(d_{p}_tuser)")
    src_done = " && ".join(f"z_{s.prefix}_done" for s in srcs)
    hs_sum = " + ".join(f"{{31'd0, d_{s.prefix}_tvalid && d_{s.prefix}_tready}}" for s in srcs)
    out_fire = " || ".join(f"(d_{s.prefix}_tvalid && d_{s.prefix}_tready)" for s in sinks)
    return "\n".join([
        "// Generated by tests/sim/harness.py: fast-mode harness around " + ports.module,
        "`timescale 1ns/1ps",
        "`default_nettype none",
        f"module {top_name(ports.module)} (",
        f"`ifdef {HCLK_DEFINE}",
        f"    input wire {HCLK_PORT},",
        "`endif",
        ",\n".join("    " + x for x in io),
        ");",
        "    // fast mode's clock (no testbench callback per edge; cycle mode and the first",
        "    // reset run on the testbench's clk): a port the Verilator main toggles every half",
        "    // period, as the always block below would (tests/sim/vlt_main.py), or that block",
        f"`ifdef {HCLK_DEFINE}",
        f"    wire hclk = {HCLK_PORT};",
        "`else",
        "    reg hclk = 1'b0;",
        f"    always #{HALF_PERIOD_NS} hclk = zs_hdl_clock ? !hclk : 1'b0;",
        "`endif",
        "    assign zs_clk = zs_hdl_clock ? hclk : clk;",
        f"    wire [{ns * 32 - 1}:0] counts;",
        "    // a mid-stream reset at a given cycle (zs_reset_at), or the cycle after the",
        "    // zs_reset_hs-th accepted input beat over every source (zs_reset_hs); either way",
        "    // zs_reset_cycle tells the Python half when it happened",
        "    reg [31:0] hs_in;  // input beats accepted so far",
        "    reg [31:0] hs_cycle;  // the cycle after the zs_reset_hs-th one (0: not yet)",
        f"    wire [31:0] hs_now = {hs_sum};",
        "    always @(posedge zs_clk) begin",
        "        if (rst) begin hs_in <= 32'd0; hs_cycle <= 32'd0; end",
        "        else if (!zs_cycle_mode) begin",
        "            hs_in <= hs_in + hs_now;",
        "            if (zs_reset_hs != 32'd0 && hs_cycle == 32'd0 &&"
        " hs_in + hs_now >= zs_reset_hs)",
        "                hs_cycle <= zs_cycle + 32'd1;",
        "        end",
        "    end",
        "    assign zs_reset_cycle = (zs_reset_at != 32'd0) ? zs_reset_at : hs_cycle;",
        "    wire in_mid = (zs_reset_cycle != 32'd0) && (zs_cycle >= zs_reset_cycle) &&",
        f"                  (zs_cycle < zs_reset_cycle + 32'd{MID_RESET_CYCLES});",
        "    wire mid_rst = in_mid && !zs_cycle_mode;",
        "    wire dut_rst = rst || mid_rst;",
        "    reg [31:0] idle;  // cycles without an output beat since the sources finished",
        *body,
        f"    assign zs_src_done = zs_run && {src_done};",
        "    assign zs_done = zs_src_done && (idle >= zs_quiet);",
        "    always @(posedge zs_clk) begin",
        "        if (rst) zs_cycle <= 32'd0; else zs_cycle <= zs_cycle + 32'd1;",
        f"        if (rst || !zs_src_done || {out_fire}) idle <= 32'd0;",
        "        else if (idle != 32'hffffffff) idle <= idle + 32'd1;",
        "    end",
        f"    {ports.module} dut (",
        ",\n".join(conns),
        "    );",
        "endmodule",
        "`default_nettype wire",
        "",
    ])


def write_harness(vfile: Path, module: str, out_dir: Path, depth: int = DEFAULT_DEPTH) -> Path:
    """Write ``<out_dir>/zs_fast_<module>.v`` (only when its text changed); returns its path."""
    text = generate(read_ports(vfile, module), depth)
    out = Path(out_dir) / f"{top_name(module)}.v"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out
