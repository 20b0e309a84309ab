"""The anchors of issue 11, on CUDA, timed as scripts/lib/bench-kernel.ts times the reference: the seed
chain relu((x*2)+(y+1)) under torch.compile (Inductor, one Triton kernel) with a device-to-device copy as
the bandwidth ceiling; softmax over [4096, 4096] eager and under torch.compile; matmul 2048^3 f32 with
TF32 off by cuBLAS (torch.mm) and relu(a@b + bias) under torch.compile. Each gets ~1 s of back-to-back
runs first (clock up), then CUDA events around each call, several rounds, each round's median; median
(lowest..highest round). Prints a table and, with --json FILE, the figures. Run by scripts/gpu-bench.sh on a GPU host; needs torch with CUDA."""
import argparse
import json
import statistics
import time

import torch


def chain(x, y):
    return torch.relu((x * 2) + (y + 1))


def softmax(x):
    return torch.softmax(x, dim=-1)


def mm_bias_relu(a, b, bias):
    return torch.relu(a @ b + bias)


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
    p.add_argument("--softmax-shape", default="4096x4096")
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--json")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
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
    templates = []
    r, c = (int(v) for v in a.softmax_shape.split("x"))
    g = torch.Generator(device="cuda").manual_seed(3)
    x = torch.rand(r, c, device="cuda", generator=g) * 4 - 2
    compiled_softmax = torch.compile(softmax)
    err = (compiled_softmax(x) - softmax(x)).abs().max().item()
    for name, fn in (("softmax, torch.compile (Inductor)", lambda: compiled_softmax(x)), ("softmax, eager", lambda: softmax(x))):
        med, lo, hi = timed(fn, a.rounds, a.calls, a.warm_s)
        row = {"work": "softmax", "shape": f"{r}x{c}", "variant": name, "ms": med, "low": lo, "high": hi, "rate": 2 * 4 * r * c / (med * 1e6), "unit": "GB/s", "maxAbsError": err}
        templates.append(row)
        print(f"   softmax {r}x{c}  {name:40s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['rate']:.0f} GB/s")
    n = a.matmul_size
    g = torch.Generator(device="cuda").manual_seed(4)
    ma = torch.rand(n, n, device="cuda", generator=g) * 4 - 2
    mb = torch.rand(n, n, device="cuda", generator=g) * 4 - 2
    bias = torch.rand(n, device="cuda", generator=g) * 4 - 2
    compiled_mm = torch.compile(mm_bias_relu)
    want = mm_bias_relu(ma.double(), mb.double(), bias.double())
    err = ((compiled_mm(ma, mb, bias).double() - want).abs().max() / want.abs().max()).item()
    for name, fn in (
        ("matmul, cuBLAS (torch.mm, TF32 off)", lambda: torch.mm(ma, mb)),
        ("relu(a@b+bias), torch.compile (Inductor)", lambda: compiled_mm(ma, mb, bias)),
    ):
        med, lo, hi = timed(fn, a.rounds, min(a.calls, 20), a.warm_s)
        row = {"work": "matmul", "shape": f"{n}^3", "variant": name, "ms": med, "low": lo, "high": hi, "rate": 2 * n**3 / (med * 1e9), "unit": "TFLOP/s", "maxAbsError": err}
        templates.append(row)
        print(f"   matmul {n}^3  {name:42s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['rate']:.2f} TFLOP/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": props.name, "torch": torch.__version__, "rows": rows, "templates": templates}, f, indent=2)


if __name__ == "__main__":
    main()
