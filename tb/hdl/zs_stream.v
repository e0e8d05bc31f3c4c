// zeroskip fast mode: the HDL halves of the stream agents (tb/common/stream.py is the Python
// half). Written once, parametrised by Verilog parameters, instantiated per stream by the
// harness top that tests/sim/harness.py generates around a block.
//
//   zs_lfsr_stall  -- stall decision per call: none, random (LFSR below a threshold) or
//                     periodic (go cycles on, stop cycles off): tb/common/stall.py's patterns
//   zs_source      -- replays beats from a memory loaded with $readmemh on a load strobe,
//                     idles by its stall generator, waits for a gate (another stream's count of
//                     completed transactions) before a transaction, records each
//                     transaction's last handshake cycle
//   zs_sink        -- tready from its stall generator (or forced high), captures every
//                     accepted beat and its cycle, dumped with $writememh on a strobe
//   zs_check       -- the protocol rules of stream.RULES; latches the first violation
//
// Why $readmemh/$writememh on strobes: one file per stream and direction moves a whole test's
// beats in one call each way, on Icarus and Verilator alike, with no per-beat VPI traffic.
`timescale 1ns/1ps
`default_nettype none
/* verilator lint_off DECLFILENAME */

module zs_lfsr_stall #(
    parameter MODE_W = 2
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              reseed,     // restart from seed (a load: the test's own seed)
    input  wire              step,       // consume one decision this cycle
    input  wire [MODE_W-1:0] mode,       // 0 none, 1 random, 2 periodic
    input  wire [15:0]       thr,        // random: stall when lfsr[15:0] < thr (p * 65536)
    input  wire [15:0]       go,         // periodic: decisions going ...
    input  wire [15:0]       stop,       // ... then decisions stalled
    input  wire [31:0]       seed,
    output wire              stall       // the decision for this cycle
);
    reg [31:0] lfsr;
    reg [16:0] phase;
    wire [16:0] period = {1'b0, go} + {1'b0, stop};
    assign stall = (mode == 2'd1) ? (lfsr[15:0] < thr) :
                   (mode == 2'd2) ? (phase >= {1'b0, go}) : 1'b0;
    always @(posedge clk) begin
        if (rst || reseed) begin
            lfsr <= (seed == 32'd0) ? 32'h1 : seed;
            phase <= 17'd0;
        end else if (step) begin
            // Galois LFSR, taps 32,22,2,1 (maximal length)
            lfsr <= {1'b0, lfsr[31:1]} ^ (lfsr[0] ? 32'h80200003 : 32'h0);
            phase <= (phase + 17'd1 >= period) ? 17'd0 : phase + 17'd1;
        end
    end
endmodule

module zs_source #(
    parameter W = 8,          // tdata bits
    parameter UW = 1,         // tuser bits (1 when the stream has none)
    parameter DEPTH = 1024,   // beats the memory holds
    parameter TDEPTH = 1024,  // transactions whose end cycle is recorded
    parameter NS = 1,         // number of source streams (gate width)
    parameter SW = 1,         // bits of a stream index
    parameter FILE_IN = "zs_in.hex",
    parameter FILE_CYC = "zs_in_cyc.hex"
) (
    input  wire            clk,
    input  wire            rst,      // harness reset (also the DUT's)
    input  wire            load,     // strobe: $readmemh(FILE_IN)
    input  wire            dump,     // strobe: $writememh(FILE_CYC)
    input  wire            run,
    input  wire            mid_rst,  // a reset of the DUT mid-stream: drop the transaction
    input  wire [31:0]     n_beats,
    input  wire [31:0]     cycle,
    input  wire [NS*32-1:0] counts,  // every source's completed transactions
    input  wire [1:0]      stall_mode,
    input  wire [15:0]     stall_thr,
    input  wire [15:0]     stall_go,
    input  wire [15:0]     stall_stop,
    input  wire [31:0]     stall_seed,
    output wire [W-1:0]    tdata,
    output wire            tvalid,
    input  wire            tready,
    output wire            tlast,
    output wire [UW-1:0]   tuser,
    output reg  [31:0]     n_txns,   // transactions completed (their eot beat accepted)
    output reg  [31:0]     first_cycle,
    output wire            done
);
    // word: {skip_to[32], gate_en, gate_stream[SW], gate_count[32], eot, tlast, tuser[UW],
    // tdata[W]}; skip_to: the first beat of the next transaction (a mid-stream reset drops
    // the rest of this one, as the Python driver does)
    localparam WW = 32 + 1 + SW + 32 + 2 + UW + W;
    localparam AW = $clog2(DEPTH);
    localparam TW = $clog2(TDEPTH);
    reg [WW-1:0] mem [0:DEPTH-1];
    reg [63:0] cyc [0:TDEPTH-1];  // {eot beat index, cycle} of each completed transaction
    reg [31:0] rd;
    reg holding;  // valid shown and not yet accepted: stays up (valid-held)
    reg started;  // the current transaction passed its gate
    // past the last beat, tdata stays at the last beat (as the Python driver leaves it), not
    // at an unloaded memory word: a block may read tdata while tvalid is low
    wire [31:0] at = (rd < n_beats || n_beats == 32'd0) ? rd : n_beats - 32'd1;
    wire [WW-1:0] word = mem[at[AW-1:0]];
    wire [31:0] skip_to = word[WW-1 -: 32];
    wire gate_en = word[WW-33];
    wire [SW-1:0] gate_stream = word[WW-34 -: SW];
    wire [31:0] gate_count = word[WW-34-SW -: 32];
    wire eot = word[W+UW+1];
    wire [31:0] other;
    generate
        if (NS == 1) begin : one_stream
            wire gate_unused = ^gate_stream;  // one source: nothing to index
            assign other = counts;
        end else begin : several_streams
            wire [31:0] cnt [0:NS-1];
            genvar gi;
            for (gi = 0; gi < NS; gi = gi + 1) begin : unpack
                assign cnt[gi] = counts[gi*32 +: 32];
            end
            assign other = cnt[gate_stream];
        end
    endgenerate
    wire have = run && (rd < n_beats);
    wire gate_ok = started || !gate_en || (other >= gate_count);
    wire stall;
    wire deciding = have && gate_ok && !holding;
    zs_lfsr_stall stall_gen (.clk(clk), .rst(rst), .reseed(load), .step(deciding),
                             .mode(stall_mode),
                             .thr(stall_thr), .go(stall_go), .stop(stall_stop),
                             .seed(stall_seed), .stall(stall));
    assign tvalid = have && gate_ok && !mid_rst && (holding || !stall);
    assign tdata = word[W-1:0];
    assign tuser = word[W+UW-1:W];
    assign tlast = word[W+UW];
    assign done = run && (rd >= n_beats);
    wire fire = tvalid && tready;
    always @(posedge clk) begin
        if (load) $readmemh(FILE_IN, mem);
        if (dump && n_txns != 32'd0) $writememh(FILE_CYC, cyc, 0, n_txns - 32'd1);
        if (rst) begin
            rd <= 32'd0;
            holding <= 1'b0;
            started <= 1'b0;
            n_txns <= 32'd0;
            first_cycle <= 32'hffffffff;
        end else if (mid_rst) begin
            holding <= 1'b0;
            started <= 1'b0;
            if (have && (started || holding)) rd <= skip_to;
        end else begin
            holding <= tvalid && !tready;
            if (tvalid) started <= 1'b1;
            if (fire) begin
                rd <= rd + 32'd1;
                if (first_cycle == 32'hffffffff) first_cycle <= cycle;
                if (eot) begin
                    started <= 1'b0;
                    if (n_txns < TDEPTH) cyc[n_txns[TW-1:0]] <= {rd, cycle};
                    n_txns <= n_txns + 32'd1;
                end
            end
        end
    end
endmodule

module zs_sink #(
    parameter W = 8,
    parameter UW = 1,
    parameter DEPTH = 1024,
    parameter FILE_OUT = "zs_out.hex",
    parameter FILE_CYC = "zs_out_cyc.hex"
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          dump,
    input  wire          force_ready,  // the quiet window: always ready
    input  wire          hold,         // the DUT is in a mid-stream reset: capture nothing
    input  wire          reseed,       // restart the stall generator (the sources' load)
    input  wire [31:0]   cycle,
    input  wire [1:0]    stall_mode,
    input  wire [15:0]   stall_thr,
    input  wire [15:0]   stall_go,
    input  wire [15:0]   stall_stop,
    input  wire [31:0]   stall_seed,
    input  wire [W-1:0]  tdata,
    input  wire          tvalid,
    output wire          tready,
    input  wire          tlast,
    input  wire [UW-1:0] tuser,
    output reg  [31:0]   n_beats,
    output reg  [31:0]   last_cycle,
    output reg           overflow
);
    localparam WW = 1 + UW + W;
    reg [WW-1:0] mem [0:DEPTH-1];
    reg [31:0] cyc [0:DEPTH-1];
    wire stall;
    zs_lfsr_stall stall_gen (.clk(clk), .rst(rst), .reseed(reseed), .step(1'b1),
                             .mode(stall_mode),
                             .thr(stall_thr), .go(stall_go), .stop(stall_stop),
                             .seed(stall_seed), .stall(stall));
    assign tready = force_ready || !stall;
    wire fire = tvalid && tready && !hold;
    always @(posedge clk) begin
        if (dump && n_beats != 32'd0) begin
            $writememh(FILE_OUT, mem, 0, n_beats - 32'd1);
            $writememh(FILE_CYC, cyc, 0, n_beats - 32'd1);
        end
        if (rst) begin
            n_beats <= 32'd0;
            last_cycle <= 32'd0;
            overflow <= 1'b0;
        end else if (fire) begin
            if (n_beats < DEPTH) begin
                mem[n_beats[$clog2(DEPTH)-1:0]] <= {tlast, tuser, tdata};
                cyc[n_beats[$clog2(DEPTH)-1:0]] <= cycle;
            end else begin
                overflow <= 1'b1;
            end
            n_beats <= n_beats + 32'd1;
            last_cycle <= cycle;
        end
    end
endmodule

module zs_check #(
    parameter W = 8,
    parameter UW = 1
) (
    input  wire          clk,
    input  wire          rst,
    input  wire [31:0]   cycle,
    input  wire [W-1:0]  tdata,
    input  wire          tvalid,
    input  wire          tready,
    input  wire          tlast,
    input  wire [UW-1:0] tuser,
    output reg  [2:0]    rule,         // 0 none; 1 tvalid-known, 2 payload-known,
                                       // 3 payload-stable, 4 valid-held (stream.RULES)
    output reg  [31:0]   rule_cycle
);
    reg held;
    reg [W+UW:0] held_payload;
    wire [W+UW:0] payload = {tlast, tuser, tdata};
    wire valid_x = (tvalid !== 1'b0) && (tvalid !== 1'b1);
    wire payload_x = tvalid && ((^payload) !== 1'b0) && ((^payload) !== 1'b1);
    always @(posedge clk) begin
        if (rst) begin
            held <= 1'b0;
            rule <= 3'd0;
            rule_cycle <= 32'd0;
        end else begin
            if (rule == 3'd0) begin
                if (valid_x) begin
                    rule <= 3'd1; rule_cycle <= cycle;
                end else if (payload_x) begin
                    rule <= 3'd2; rule_cycle <= cycle;
                end else if (held && tvalid && payload != held_payload) begin
                    rule <= 3'd3; rule_cycle <= cycle;
                end else if (held && !tvalid) begin
                    rule <= 3'd4; rule_cycle <= cycle;
                end
            end
            held <= (tvalid === 1'b1) && (tready !== 1'b1);
            held_payload <= payload;
        end
    end
endmodule

/* verilator lint_on DECLFILENAME */
`default_nettype wire
