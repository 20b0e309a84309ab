#!/usr/bin/env python3
"""An out-of-process wgfuse implementation, in Python: reads an IR document (spec/ir.schema.json) on
stdin and prints its program (spec/command.schema.json) on stdout. It fuses nothing: one kernel per op,
transpose and kernel call, each a plain loop over its output elements, so it shows the protocol, not
a compiler. Judge it with:

    npm run conformance -- --impl 'cmd:python3 adapters/python-eager/wgfuse_eager.py' \
        --expect adapters/python-eager/expectations.json
"""
import json
import math
import struct
import sys

WORKGROUP = 64
MAX_GROUPS = 65535
UNARY = {
    "neg": "(-{a})", "abs": "abs({a})", "relu": "max({a}, 0f)", "exp": "exp({a})", "log": "log({a})",
    "sqrt": "sqrt({a})", "tanh": "tanh({a})", "sigmoid": "(1f / (1f + exp(-{a})))",
}
BINARY = {
    "add": "({a} + {b})", "sub": "({a} - {b})", "mul": "({a} * {b})", "div": "({a} / {b})",
    "maximum": "max({a}, {b})", "minimum": "min({a}, {b})",
}
RMSNORM_EPS = struct.unpack("f", struct.pack("f", 1e-5))[0]


def numel(shape):
    return math.prod(shape) if shape else 1


def f32(value):
    return f"{float(value)!r}f".replace("inf", "3.4028234663852886e38")


def strides_into(shape, target):
    """Row-major strides of `shape` broadcast into `target`: 0 where it broadcasts."""
    out, stride = [0] * len(target), 1
    for k in range(len(shape) - 1, -1, -1):
        t = len(target) - len(shape) + k
        out[t] = 0 if shape[k] == 1 else stride
        stride *= shape[k]
    return out


def offset_expr(shape, target):
    """WGSL for the offset in an operand of `shape` of element i of `target`."""
    if list(shape) == list(target):
        return "i"
    strides, terms, inner = strides_into(shape, target), [], 1
    for d in range(len(target) - 1, -1, -1):
        if strides[d]:
            terms.append(f"((i / {inner}u) % {target[d]}u) * {strides[d]}u")
        inner *= target[d]
    return " + ".join(terms) if terms else "0u"


class Program:
    def __init__(self, doc):
        self.graph = doc["graph"]
        self.nodes = self.graph["nodes"]
        self.kernels, self.scratch, self.home = [], [], {}
        for k, node_id in enumerate(self.graph["inputs"]):
            self.home[node_id] = ("input", k)
        for k, node_id in enumerate(self.graph["outputs"]):
            if node_id not in self.home:
                self.home[node_id] = ("output", k)

    def place(self, node):
        if node["id"] not in self.home:
            self.home[node["id"]] = ("scratch", len(self.scratch))
            self.scratch.append(max(4, 4 * numel(node["shape"])))
        return self.home[node["id"]]

    def kernel(self, node, reads, body):
        """One kernel storing `body` (an f32 expression of i and the src_k arrays) into the node's buffer."""
        n = numel(node["shape"])
        groups = math.ceil(n / WORKGROUP)
        grid = [min(groups, MAX_GROUPS), math.ceil(groups / MAX_GROUPS)]
        decls = [f"@group(0) @binding({k}) var<storage, read> src_{k}: array<f32>;" for k in range(len(reads))]
        decls.append(f"@group(0) @binding({len(reads)}) var<storage, read_write> dst: array<f32>;")
        wgsl = "\n".join(decls + [
            f"@compute @workgroup_size({WORKGROUP})",
            "fn main(@builtin(global_invocation_id) gid: vec3u) {",
            f"  let i = gid.y * {MAX_GROUPS * WORKGROUP}u + gid.x;",
            f"  if (i >= {n}u) {{ return; }}",
            f"  dst[i] = {body};",
            "}",
        ])
        bindings = [{"buffer": kind, "index": k} for kind, k in (self.home[r] for r in reads)]
        bindings.append(dict(zip(("buffer", "index"), self.place(node))))
        self.kernels.append({"wgsl": wgsl, "bindings": bindings, "grid": grid})

    def operand(self, node, k, reads):
        arg = self.nodes[node["args"][k]]
        if arg["kind"] == "const":
            return f32(arg["value"])
        reads.append(arg["id"])
        return f"src_{len(reads) - 1}[{offset_expr(arg['shape'], node['shape'])}]"

    def node(self, node):
        reads = []
        kind = node["kind"]
        if kind == "op":
            ops = [self.operand(node, k, reads) for k in range(len(node["args"]))]
            template = UNARY.get(node["op"]) or BINARY[node["op"]]
            self.kernel(node, reads, template.format(a=ops[0], b=ops[-1]))
        elif kind == "transpose":
            reads.append(node["args"][0])
            *lead, p, q = node["shape"]
            self.kernel(node, reads, f"src_0[(i / {p * q}u) * {p * q}u + (i % {q}u) * {p}u + (i / {q}u) % {p}u]")
        elif kind == "call":
            self.call(node, reads)

    def call(self, node, reads):
        shapes = [self.nodes[a]["shape"] for a in node["args"]]
        reads.extend(node["args"])
        sem = node["semantics"]
        if sem == "elementwise_add":
            self.kernel(node, reads, "src_0[i] + src_1[i]")
        elif sem == "matmul":
            m, k, n = shapes[0][-2], shapes[0][-1], shapes[1][-1]
            body = (f"matmul_at(i / {m * n}u, (i / {n}u) % {m}u, i % {n}u)")
            self.kernel(node, reads, body)
            self.kernels[-1]["wgsl"] += (
                f"\nfn matmul_at(b: u32, r: u32, c: u32) -> f32 {{\n  var acc = 0f;\n"
                f"  for (var j = 0u; j < {k}u; j++) {{ acc += src_0[b * {m * k}u + r * {k}u + j] * src_1[b * {k * n}u + j * {n}u + c]; }}\n"
                f"  return acc;\n}}"
            )
        elif sem in ("softmax", "rmsnorm"):
            cols = shapes[0][-1]
            self.kernel(node, reads, f"{sem}_at(i / {cols}u * {cols}u, i)")
            if sem == "softmax":
                helper = (f"\nfn softmax_at(base: u32, i: u32) -> f32 {{\n  var m = -3.4028234663852886e38f;\n"
                          f"  for (var j = 0u; j < {cols}u; j++) {{ m = max(m, src_0[base + j]); }}\n  var s = 0f;\n"
                          f"  for (var j = 0u; j < {cols}u; j++) {{ s += exp(src_0[base + j] - m); }}\n"
                          f"  return exp(src_0[i] - m) / s;\n}}")
            else:
                helper = (f"\nfn rmsnorm_at(base: u32, i: u32) -> f32 {{\n  var s = 0f;\n"
                          f"  for (var j = 0u; j < {cols}u; j++) {{ s += src_0[base + j] * src_0[base + j]; }}\n"
                          f"  return src_0[i] * inverseSqrt(s / f32({cols}u) + {f32(RMSNORM_EPS)}) * src_1[i - base];\n}}")
            self.kernels[-1]["wgsl"] += helper
        else:
            raise SystemExit(f"wgfuse_eager.py: no kernel for semantics '{sem}'")

    def compile(self):
        live = set()
        stack = list(self.graph["outputs"])
        while stack:
            node_id = stack.pop()
            if node_id not in live:
                live.add(node_id)
                stack.extend(self.nodes[node_id].get("args", []))
        for node in self.nodes:
            if node["id"] in live and node["kind"] not in ("input", "const"):
                self.node(node)
        # An output stored elsewhere (an input, or returned twice) is copied into its own buffer.
        for k, node_id in enumerate(self.graph["outputs"]):
            if self.home[node_id] != ("output", k):
                src = self.nodes[node_id]
                copy = dict(src, id=-1 - k)
                self.home[copy["id"]] = ("output", k)
                self.kernel(copy, [node_id], "src_0[i]")
        return {"kernels": self.kernels, "scratch": self.scratch}


if __name__ == "__main__":
    json.dump(Program(json.load(sys.stdin)).compile(), sys.stdout)
