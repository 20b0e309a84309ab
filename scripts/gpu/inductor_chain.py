"""The seed chain relu((x*2)+(y+1)) under torch.compile (Inductor, one Triton kernel) on CUDA, timed as
scripts/lib/bench-kernel.ts times the reference: ~1 s of back-to-back runs first (clock up), then CUDA
events around each call, several rounds, each round's median; median (lowest..highest round). A
device-to-device copy (x -> out) is the bandwidth ceiling of the same run. Prints a table and, with
--json FILE, the figures. Run by scripts/gpu-bench.sh on a GPU host; needs torch with CUDA."""
import argparse
import json
import statistics
import time

import torch


def chain(x, y):
    return torch.relu((x * 2) + (y + 1))


def timed(fn, rounds, calls, warm_s):
    end = time.perf_counter() + warm_s
    while time.perf_counter() < end:
        for _ in range(20):
            fn()
        torch.cuda.synchronize()
    medians = []
    for _ in range(rounds):
        pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(calls)]
        for a, b in pairs:
            a.record()
            fn()
            b.record()
        torch.cuda.synchronize()
        medians.append(statistics.median(a.elapsed_time(b) for a, b in pairs))
    return statistics.median(medians), min(medians), max(medians)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--log2", default="24,26")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--warm-s", type=float, default=1.0)
    p.add_argument("--json")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    compiled = torch.compile(chain)
    props = torch.cuda.get_device_properties(0)
    print(f"inductor: torch {torch.__version__}, {props.name}, {props.multi_processor_count} SMs")
    rows = []
    for k in (int(s) for s in a.log2.split(",")):
        n = 2**k
        g = torch.Generator(device="cuda").manual_seed(1)
        x = torch.rand(n, device="cuda", generator=g) * 4 - 2
        y = torch.rand(n, device="cuda", generator=g) * 4 - 2
        out = torch.empty_like(x)
        want = chain(x, y)
        got = compiled(x, y)
        err = (got - want).abs().max().item()
        for name, fn, nbytes in (
            ("copy (ceiling)", lambda: out.copy_(x), 2 * 4 * n),
            ("torch.compile (Inductor)", lambda: compiled(x, y), 3 * 4 * n),
            ("eager PyTorch", lambda: chain(x, y), 3 * 4 * n),
        ):
            med, lo, hi = timed(fn, a.rounds, a.calls, a.warm_s)
            row = {"n": n, "variant": name, "ms": med, "low": lo, "high": hi, "gbps": nbytes / (med * 1e6), "maxAbsError": err if "Inductor" in name else 0}
            rows.append(row)
            print(f"   2^{k}  {name:26s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['gbps']:.0f} GB/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": props.name, "torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
