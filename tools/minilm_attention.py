"""Attention-output error of the integer pipeline on real MiniLM-L6 heads, dense and sparse.

    python -m tools.minilm_attention [--layers 0 1 ...] [--write-fixture] [--check-fixture]

For every MiniLM head of the chosen layers (default: all 6 x 12) it quantises the real Q, K, V
(models/minilm.py), runs the bit-exact ``sddmm -> softmax -> spmm`` pipeline under the dense
mask and under the head's DeiT-Tiny mask, and compares the dequantised output with float64
attention of the *float* Q, K, V under the same mask; the pruning error (sparse float against
dense float) is reported beside it. Prints a table (per head and a summary), writes
``build/minilm/minilm_attention.{csv,json}`` and ``error_per_head.png``.

``--write-fixture`` rewrites ``data/minilm_heads/minilm_l3_heads.npz``; ``--check-fixture``
rebuilds it in memory and fails unless it equals the committed file byte for byte.
Without the optional package it prints one sentence saying how to install it and exits 2.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from models import minilm as M
from models.attn_mask import load_deit_masks

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "minilm"
#: the similarities published for all-MiniLM-L6-v2 in the sentence-transformers usage docs
#: (sbert.net, "Usage"), printed there to 4 decimals
PUBLISHED_SENTENCES = ("The weather is lovely today.", "It's so sunny outside!",
                       "He drove to the stadium.")
PUBLISHED_SIMILARITY = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}
#: half a unit in the 4th decimal: the published figures are rounded
PUBLISHED_TOL = 0.5e-4


def check_forward(w, tok) -> list[str]:
    """Sentence similarities of the float forward against the published ones; raises when one
    differs by more than the rounding of the publication."""
    e = M.sentence_embeddings(w, tok, list(PUBLISHED_SENTENCES))
    sim = e @ e.T
    lines = []
    for (i, j), ref in PUBLISHED_SIMILARITY.items():
        got = float(sim[i, j])
        ok = abs(got - ref) <= PUBLISHED_TOL
        verdict = "ok" if ok else "FAIL"
        lines.append(f"  cos(s{i}, s{j}) = {got:.6f} (published {ref:.4f}) {verdict}")
        if not ok:
            raise SystemExit("minilm: the float forward does not reproduce the published "
                             "sentence similarities:\n" + "\n".join(lines))
    return lines


def errors(got: np.ndarray, ref: np.ndarray, lsb: float) -> dict:
    e = got - ref
    fro = float(np.linalg.norm(ref))
    return {"max_abs": float(np.abs(e).max()), "rms": float(np.sqrt(np.mean(e * e))),
            "rel_fro": float(np.linalg.norm(e) / fro) if fro else float("nan"),
            "max_lsb": float(np.abs(e).max() / lsb), "rms_lsb": float(np.sqrt(np.mean(e * e))
                                                                      / lsb)}


def run_layer(p, w, hidden, layer: int, deit):
    """Per head: inputs, pipeline outputs and the error record."""
    q, k, v = M.layer_qkv(w, hidden, layer)
    dense = M.dense_mask()
    heads, outs, recs = [], [], []
    for h in range(M.HEADS):
        dl, dh = M.deit_mask_index(layer, h)
        sparse = deit[dl, dh]
        hi = M.quantise_head(p, q[h], k[h], v[h], [dense, sparse])
        rec = {"layer": layer, "head": h, "deit_layer": dl, "deit_head": dh,
               "density": float(sparse.mean()), "s_o": hi.s_o,
               "sddmm_scale": hi.sddmm_rq[0], "sddmm_shift": hi.sddmm_rq[1],
               "spmm_shift": hi.spmm_rq[1]}
        f_dense = M.float_attention(q[h], k[h], v[h], dense)
        f_sparse = M.float_attention(q[h], k[h], v[h], sparse)
        out = {}
        for name, mask, ref in (("dense", dense, f_dense), ("sparse", sparse, f_sparse)):
            r = M.run_head(p, hi, mask)
            out[name] = r["out"]
            got = r["out"] * hi.s_o
            for key, val in errors(got, ref, hi.s_o).items():
                rec[f"{name}_{key}"] = val
            # the part the budget covers: against float attention of the dequantised inputs
            deq = M.float_attention(*M.dequantised(hi), mask) / hi.s_o
            bound = M.pipeline_budget(p, hi, mask)
            rec[f"{name}_budget_ratio"] = float((np.abs(r["out"] - deq) / bound).max())
            rec[f"{name}_empty_rows"] = r["empty_rows"]
        for key, val in errors(f_sparse, f_dense, hi.s_o).items():
            rec[f"prune_{key}"] = val
        heads.append(hi)
        outs.append(out)
        recs.append(rec)
    return heads, outs, recs


def build_fixture(p, ids, attn, layer, heads, outs, n_body) -> M.MinilmHeads:
    text = M.read_text()
    meta = {"package": M.PACKAGE, "package_version": M.PACKAGE_VERSION,
            "weights_sha256": M.WEIGHTS_SHA256, "model": "sentence-transformers/all-MiniLM-L6-v2",
            "model_licence": "Apache-2.0", "text": M.TEXT_FILE.name,
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "text_word_pieces": n_body, "crop": "[CLS] + first 195 word pieces + [SEP]",
            "mask_mapping": "deit_layer = 2*layer + (head // 3) % 2, deit_head = head % 3",
            "scale_sig_bits": M.SCALE_SIG_BITS,
            "regenerate": "python -m tools.minilm_attention --write-fixture"}
    stack = np.stack
    return M.MinilmHeads(
        layer=layer, token_ids=ids.astype(np.int32),
        q=stack([h.q for h in heads]), k=stack([h.k for h in heads]),
        v=stack([h.v for h in heads]),
        s_q=np.array([h.s_q for h in heads]), s_k=np.array([h.s_k for h in heads]),
        s_v=np.array([h.s_v for h in heads]), s_o=np.array([h.s_o for h in heads]),
        sddmm_scale=np.array([h.sddmm_rq[0] for h in heads]),
        sddmm_shift=np.array([h.sddmm_rq[1] for h in heads]),
        spmm_scale=np.array([h.spmm_rq[0] for h in heads]),
        spmm_shift=np.array([h.spmm_rq[1] for h in heads]),
        deit_layer=np.array([M.deit_mask_index(layer, i)[0] for i in range(M.HEADS)]),
        deit_head=np.array([M.deit_mask_index(layer, i)[1] for i in range(M.HEADS)]),
        out_dense=stack([o["dense"] for o in outs]),
        out_sparse=stack([o["sparse"] for o in outs]),
        params_json=p.to_json(), meta_json=json.dumps(meta, sort_keys=True))


SUMMARY_KEYS = ("max_abs", "rms", "rel_fro", "max_lsb", "rms_lsb")


def summary(recs: list[dict]) -> dict:
    out = {}
    for kind in ("dense", "sparse", "prune"):
        for key in SUMMARY_KEYS:
            vals = np.array([r[f"{kind}_{key}"] for r in recs])
            out[f"{kind}_{key}_median"] = float(np.median(vals))
            out[f"{kind}_{key}_worst"] = float(vals.max())
    for kind in ("dense", "sparse"):
        out[f"{kind}_budget_ratio_worst"] = float(max(r[f"{kind}_budget_ratio"] for r in recs))
    return out


def print_table(recs: list[dict], summ: dict) -> None:
    hdr = (f"{'l':>2} {'h':>2} {'deit':>5} {'dens':>5} | {'int-float dense':^25} | "
           f"{'int-float sparse':^25} | {'sparse-dense float':^17} | {'budget':^9}")
    sub = (f"{'':17} | {'max':>6} {'rms':>6} {'relF':>6} {'maxL':>4} | "
           f"{'max':>6} {'rms':>6} {'relF':>6} {'maxL':>4} | {'max':>6} {'relF':>8} | "
           f"{'dns':>4} {'sps':>4}")
    print(hdr)
    print(sub)
    for r in recs:
        print(f"{r['layer']:>2} {r['head']:>2} {r['deit_layer']:>2},{r['deit_head']:<2} "
              f"{r['density']:5.3f} | "
              f"{r['dense_max_abs']:6.4f} {r['dense_rms']:6.4f} {r['dense_rel_fro']:6.4f} "
              f"{r['dense_max_lsb']:4.1f} | "
              f"{r['sparse_max_abs']:6.4f} {r['sparse_rms']:6.4f} {r['sparse_rel_fro']:6.4f} "
              f"{r['sparse_max_lsb']:4.1f} | "
              f"{r['prune_max_abs']:6.4f} {r['prune_rel_fro']:8.4f} | "
              f"{r['dense_budget_ratio']:4.2f} {r['sparse_budget_ratio']:4.2f}")
    print()
    print(f"summary over {len(recs)} heads (median / worst):")
    names = {"dense": "integer vs float, dense mask ", "sparse": "integer vs float, DeiT mask  ",
             "prune": "sparse float vs dense float  "}
    for kind, label in names.items():
        cells = ", ".join(f"{key} {summ[f'{kind}_{key}_median']:.4g} / "
                          f"{summ[f'{kind}_{key}_worst']:.4g}" for key in SUMMARY_KEYS)
        print(f"  {label}: {cells}")
    print(f"  worst |int - float(dequantised)| / derived budget: dense "
          f"{summ['dense_budget_ratio_worst']:.3f}, sparse {summ['sparse_budget_ratio_worst']:.3f}")


def plot(recs: list[dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(recs))
    fig, ax = plt.subplots(figsize=(9.6, 4.2), dpi=120)
    for kind, style, label in (("dense", "o-", "integer vs float, dense mask"),
                               ("sparse", "s-", "integer vs float, DeiT mask"),
                               ("prune", "^--", "pruning: sparse float vs dense float")):
        ax.plot(x, [r[f"{kind}_rel_fro"] for r in recs], style, ms=3, lw=0.8, label=label)
    ax.set_yscale("log")
    ax.set_xticks(x[:: M.HEADS])
    ax.set_xticklabels([f"L{r['layer']}" for r in recs[:: M.HEADS]])
    ax.set_xlabel("MiniLM-L6 head (12 per layer; DeiT-Tiny mask: layer 2l + (h//3)%2, head h%3)")
    ax.set_ylabel("relative Frobenius error of the attention output")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Real MiniLM-L6 heads (Gettysburg Address, 197 tokens): INT8 sddmm -> "
                 "softmax UQ0.8 -> spmm INT8", fontsize=9)
    # one row of legend in the empty band between the quantisation and the pruning errors
    ax.legend(fontsize=8, ncol=3, loc="center", bbox_to_anchor=(0.5, 0.7))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, nargs="+", default=list(range(M.LAYERS)))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--write-fixture", action="store_true",
                    help=f"rewrite {M.fixture_path().relative_to(ROOT)}")
    ap.add_argument("--check-fixture", action="store_true",
                    help="fail unless the rebuilt fixture equals the committed file")
    args = ap.parse_args(argv)
    try:
        M.model_dir()
    except M.MissingPackage as e:
        print(f"minilm_attention: {e}", file=sys.stderr)
        return 2
    p = M.minilm_params()
    w, tok = M.load_weights(), M.load_tokenizer()
    print("float forward against the published all-MiniLM-L6-v2 similarities:")
    print("\n".join(check_forward(w, tok)))
    text = M.read_text()
    n_body = len(tok.encode(text).ids) - 2
    ids, attn = M.tokenise(tok, text)
    print(f"text: {M.TEXT_FILE.name}, {n_body} word pieces -> [CLS] + {int(attn.sum()) - 2} + "
          f"[SEP] = {ids.size} tokens ({ids.size - int(attn.sum())} padding)")
    layers = sorted(set(args.layers) | ({M.FIXTURE_LAYER} if args.write_fixture
                                        or args.check_fixture else set()))
    hidden = M.encoder_inputs(w, ids, attn, upto=max(layers))
    deit = load_deit_masks()
    recs, fixture = [], None
    for layer in layers:
        heads, outs, lrecs = run_layer(p, w, hidden[layer], layer, deit)
        if layer == M.FIXTURE_LAYER:
            fixture = build_fixture(p, ids, attn, layer, heads, outs, n_body)
        if layer in args.layers:
            recs += lrecs
    summ = summary(recs)
    print_table(recs, summ)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "minilm_attention.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(recs[0]))
        wr.writeheader()
        wr.writerows(recs)
    doc = {"params": json.loads(p.to_json()), "heads": recs, "summary": summ,
           "text": M.TEXT_FILE.name, "layers": args.layers}
    (args.out / "minilm_attention.json").write_text(json.dumps(doc, indent=1) + "\n")
    png = plot(recs, args.out / "error_per_head.png")
    print(f"wrote {args.out / 'minilm_attention.csv'}, {args.out / 'minilm_attention.json'}, "
          f"{png}")
    rc = 0
    if fixture is not None:
        blob = M.npz_bytes(M.heads_to_arrays(fixture))
        path = M.fixture_path()
        if args.write_fixture:
            path.write_bytes(blob)
            print(f"wrote {path} ({len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()})")
        if args.check_fixture:
            same = path.is_file() and path.read_bytes() == blob
            print(f"fixture {path.name}: {'reproduced bit for bit' if same else 'DIFFERS'} "
                  f"(sha256 {hashlib.sha256(blob).hexdigest()})")
            rc = 0 if same else 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
