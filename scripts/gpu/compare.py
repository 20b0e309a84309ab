"""Issue 11's verdict table from one run of scripts/gpu-bench.sh: the reference's kernel times (the JSON of
`npm run bench -- --parts kernel`) beside the torch anchors (the JSON of scripts/gpu/torch_bench.py),
measured on the same GPU in the same call. A ratio is anchor ms / reference ms, so >= 1.0 means the
reference is as fast. The reference's row for each work is its default config, and its best config
is shown beside it. Exit status 0; the table is the result, not a gate."""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare.py WGFUSE_KERNEL_JSON TORCH_JSON")
    ours = json.load(open(sys.argv[1]))["kernel"]
    torch = json.load(open(sys.argv[2]))
    print(f"reference on {ours['adapter']} ({ours['backend']}); anchors: torch {torch['torch']} on {torch['device']}")
    lines = []

    def line(work, ref_name, ref_ms, rate, anchor_name, anchor_ms, target):
        ratio = anchor_ms / ref_ms
        verdict = "meets" if ratio >= target else "short of"
        lines.append(f"| {work} | {ref_name} | {ref_ms:.4f} | {rate} | {anchor_name} {anchor_ms:.4f} | {ratio:.2f}x | {verdict} {target}x |")

    for fig in ours["figures"]:
        n = fig["n"]
        rows = {r["variant"]: r for r in fig["rows"]}
        default = next(r for r in fig["rows"] if r["variant"].endswith("(default)"))
        copy = rows["copy, vec4 (ceiling)"]
        anchors = {r["variant"]: r for r in torch["rows"] if r["n"] == n}
        ind = anchors.get("torch.compile (Inductor)")
        if ind:
            line(f"seed chain 2^{n.bit_length() - 1}", "default", default["median"], f"{default['gbps']:.0f} GB/s ({100 * default['gbps'] / copy['gbps']:.0f}% of copy)", "Inductor", ind["ms"], 1.0)
    tmpl = ours.get("templates", {}).get("rows", [])
    anchors = {r["variant"]: r for r in torch.get("templates", [])}
    for work, anchor_name, target in (("softmax", "softmax, torch.compile (Inductor)", 1.0), ("matmul", "matmul, cuBLAS (torch.mm, TF32 off)", 0.5)):
        mine = [r for r in tmpl if r["work"] == work]
        if not mine or anchor_name not in anchors:
            continue
        best = min(mine, key=lambda r: r["median"])
        default = next((r for r in mine if r.get("default")), None)
        if default:
            line(f"{work} {default['shape']}", "default " + default["config"], default["median"], f"{default['rate']:.2f} {default['unit']}", anchor_name, anchors[anchor_name]["ms"], target)
        line(f"{work} {best['shape']}", "best " + best["config"], best["median"], f"{best['rate']:.2f} {best['unit']}", anchor_name, anchors[anchor_name]["ms"], target)
    print("| work | reference config | ms | rate | anchor ms | ratio | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
