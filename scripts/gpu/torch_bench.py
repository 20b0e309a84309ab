"""The anchors of issue 11, on CUDA, timed as scripts/lib/bench-kernel.ts times the reference: the seed
chain relu((x*2)+(y+1)) under torch.compile (Inductor, one Triton kernel) with a device-to-device copy as
the bandwidth ceiling, and relu(x*2 + b) with b [1024] broadcast along rows; softmax and rmsnorm over [4096, 4096] eager and under torch.compile; matmul 2048^3 f32 with
TF32 off by cuBLAS (torch.mm) and relu(a@b + bias) under torch.compile. Each gets ~1 s of back-to-back
runs first (clock up), then several rounds, each round's median; median (lowest..highest round).

Three times per work, the first that works being the anchor ("method"):
- "kernel": the GPU time of the call's own kernels and copies, from the profiler's CUPTI records, as the
  reference's pass timestamps time its kernel;
- "graph": the calls of a round captured in one CUDA graph and replayed, events around the replay, per
  call: no host in between, only the GPU's own gaps between kernels;
- "events": CUDA events around each call, which also count the GPU waiting for the host to launch, as it
  does when torch.compile's guards and launcher take longer than a short kernel runs; never the anchor.
Prints a table and, with --json FILE, the figures.
Run by scripts/gpu-bench.sh on a GPU host; needs torch with CUDA."""
import argparse
import json
import statistics
import time

import torch


def chain(x, y):
    return torch.relu((x * 2) + (y + 1))


def bias_chain(x, b):
    return torch.relu(x * 2 + b)


def softmax(x):
    return torch.softmax(x, dim=-1)


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w


def mm_bias_relu(a, b, bias):
    return torch.relu(a @ b + bias)


def warm(fn, warm_s):
    end = time.perf_counter() + warm_s
    while time.perf_counter() < end:
        for _ in range(20):
            fn()
        torch.cuda.synchronize()


def event_ms(fn, calls):
    """The median over `calls` calls of CUDA events recorded around each."""
    pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(calls)]
    for a, b in pairs:
        a.record()
        fn()
        b.record()
    torch.cuda.synchronize()
    return statistics.median(a.elapsed_time(b) for a, b in pairs)


def kernel_ms(fn, calls):
    """The median over `calls` calls of the GPU time of each call's kernels and copies, from the profiler's
    CUPTI records; None where the profiler records no GPU work (CUPTI unavailable, as under some sandboxes)."""
    try:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            for _ in range(calls):
                fn()
            torch.cuda.synchronize()
        on_gpu = sorted((e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA), key=lambda e: e.time_range.start)
    except Exception as e:  # the profiler's failures vary by build; the graph's figure stands in
        print(f"   (profiler: {type(e).__name__}: {e})")
        return None
    if not on_gpu:
        return None
    us = [e.time_range.elapsed_us() for e in on_gpu]
    if len(us) % calls != 0:
        return sum(us) / calls / 1e3
    per = len(us) // calls
    return statistics.median(sum(us[k * per : (k + 1) * per]) for k in range(calls)) / 1e3


def graph_ms(fn, calls, rounds):
    """`calls` calls captured in one CUDA graph, replayed with events around it, per call: no host launch
    gaps, only the GPU's own between kernels. One figure per round."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(calls):
            fn()
    graph.replay()
    torch.cuda.synchronize()
    out = []
    for _ in range(rounds):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        graph.replay()
        b.record()
        torch.cuda.synchronize()
        out.append(a.elapsed_time(b) / calls)
    del graph
    return out


def ways(how):
    return ", ".join(f"{k} {v:.4f}" for k, v in how.items())


def timed(fn, rounds, calls, warm_s):
    """After ~warm_s of fn: the anchor's median, lowest and highest round and how it was measured (the
    profiler's kernel time, else the graph's), and the medians of all three ways."""
    warm(fn, warm_s)
    kernels = [kernel_ms(fn, calls) for _ in range(rounds)]
    events = [event_ms(fn, calls) for _ in range(rounds)]
    graphs = graph_ms(fn, calls, rounds)
    how = {"events": statistics.median(events), "graph": statistics.median(graphs)}
    if all(k is not None for k in kernels):
        how["kernel"] = statistics.median(kernels)
        anchor, method = kernels, "kernel"
    else:
        anchor, method = graphs, "graph"
    return statistics.median(anchor), min(anchor), max(anchor), method, how


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--log2", default="24,26")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--warm-s", type=float, default=1.0)
    p.add_argument("--row-shape", default="4096x4096")
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--json")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    compiled = torch.compile(chain)
    compiled_bias = torch.compile(bias_chain)
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
        x2, b = x.view(n // 1024, 1024), y[:1024]
        for name, fn, nbytes in (
            ("copy (ceiling)", lambda: out.copy_(x), 2 * 4 * n),
            ("torch.compile (Inductor)", lambda: compiled(x, y), 3 * 4 * n),
            ("eager PyTorch", lambda: chain(x, y), 3 * 4 * n),
            ("bias chain, torch.compile (Inductor)", lambda: compiled_bias(x2, b), 2 * 4 * n),
        ):
            med, lo, hi, method, how = timed(fn, a.rounds, a.calls, a.warm_s)
            row = {"n": n, "variant": name, "ms": med, "low": lo, "high": hi, "method": method, "by": how, "gbps": nbytes / (med * 1e6), "maxAbsError": err if name == "torch.compile (Inductor)" else 0}
            rows.append(row)
            print(f"   2^{k}  {name:26s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['gbps']:.0f} GB/s   {method}; {ways(how)}")
    templates = []
    r, c = (int(v) for v in a.row_shape.split("x"))
    g = torch.Generator(device="cuda").manual_seed(3)
    x = torch.rand(r, c, device="cuda", generator=g) * 4 - 2
    w = torch.rand(c, device="cuda", generator=g) * 4 - 2
    for work, fn, args in (("softmax", softmax, (x,)), ("rmsnorm", rmsnorm, (x, w))):
        compiled_fn = torch.compile(fn)
        err = (compiled_fn(*args) - fn(*args)).abs().max().item()
        for name, call in ((f"{work}, torch.compile (Inductor)", lambda: compiled_fn(*args)), (f"{work}, eager", lambda: fn(*args))):
            med, lo, hi, method, how = timed(call, a.rounds, a.calls, a.warm_s)
            row = {"work": work, "shape": f"{r}x{c}", "variant": name, "ms": med, "low": lo, "high": hi, "method": method, "by": how, "rate": 2 * 4 * r * c / (med * 1e6), "unit": "GB/s", "maxAbsError": err}
            templates.append(row)
            print(f"   {work} {r}x{c}  {name:40s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['rate']:.0f} GB/s   {method}; {ways(how)}")
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
        med, lo, hi, method, how = timed(fn, a.rounds, min(a.calls, 20), a.warm_s)
        row = {"work": "matmul", "shape": f"{n}^3", "variant": name, "ms": med, "low": lo, "high": hi, "method": method, "by": how, "rate": 2 * n**3 / (med * 1e9), "unit": "TFLOP/s", "maxAbsError": err}
        templates.append(row)
        print(f"   matmul {n}^3  {name:42s} {med:.4f} ms ({lo:.4f}..{hi:.4f})  {row['rate']:.2f} TFLOP/s   {method}; {ways(how)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": props.name, "torch": torch.__version__, "rows": rows, "templates": templates}, f, indent=2)


if __name__ == "__main__":
    main()
