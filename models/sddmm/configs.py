"""Named ``sddmm`` configs (the four corners)."""

from __future__ import annotations

from models.sddmm.params import SddmmParams

#: named corners (typical and non_pow2 with two load banks, so the second bank also starts
#: at a non-power-of-two row; min and max with one: both paths are tested):
#: one key of one element, ViT-typical (d = 64, 256 keys), DeiT's 197 keys with
#: a non-power-of-two head, the largest we regress
CONFIGS = {
    "min": SddmmParams(head_dim=1, max_keys=1, data_width=2, acc_width=4, score_width=4,
                       scale_width=1),
    "typical": SddmmParams(head_dim=64, max_keys=256, kv_banks=2),
    "non_pow2": SddmmParams(head_dim=24, max_keys=197, kv_banks=2),
    "max": SddmmParams(head_dim=128, max_keys=1024, acc_width=32, score_width=20),
}
