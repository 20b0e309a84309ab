import { matmulDims, numel } from '../../spec/index.js';
import type { KernelConfig, Shape } from '../../spec/index.js';
import type { TemplateCode, TemplateContext } from '../registry/template.js';
import { matmulWorkgroupBytes, stageBRowMajor, tileOrigin } from './matmul-tile.js';

/** How a matmul config runs ([templates.matmul.regtile]): TM×TN outputs per invocation, `threads` invocations. */
export interface RegisterTile {
  readonly tm: number;
  readonly tn: number;
  readonly threads: number;
}

function divisors(v: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= v; d++) if (v % d === 0) out.push(d);
  return out;
}

/**
 * The register tile of a config [BM, BN, BK] at L lanes ([templates.matmul.regtile]). BM·BN ≤ L: one output
 * per invocation (TM = TN = 1, BM·BN invocations). Otherwise TM divides BM and TN divides BN, chosen by, in
 * order: the most invocations (BM/TM)·(BN/TN) within L; the smallest |TM − TN|; TN a multiple of 4; the
 * larger TM. [128,128,·] at 256 lanes is 8×8 on 256 invocations, [64,64,·] 4×4, [128,64,·] 8×4.
 */
export function registerTile([bm = 1, bn = 1]: readonly number[], lanes: number): RegisterTile {
  if (bm * bn <= lanes) return { tm: 1, tn: 1, threads: bm * bn };
  let best: RegisterTile = { tm: bm, tn: bn, threads: 1 };
  const key = (t: RegisterTile): number[] => [t.threads, -Math.abs(t.tm - t.tn), t.tn % 4 === 0 ? 1 : 0, t.tm];
  const better = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
    return false;
  };
  for (const tm of divisors(bm)) {
    for (const tn of divisors(bn)) {
      const threads = (bm / tm) * (bn / tn);
      if (threads <= lanes && better(key({ tm, tn, threads }), key(best))) best = { tm, tn, threads };
    }
  }
  return best;
}

const XYZW = ['x', 'y', 'z', 'w'] as const;

/**
 * Whether a matmul call takes the vec4 path ([templates.matmul.vec4]): a register-tiled config whose TN is
 * a multiple of 4 (its accumulators are vec4f across four columns) and BM, BK multiples of 4 (A is staged in
 * 4×4 blocks), K and N multiples of 4 (every row of A, B and C is whole quads) and C a multiple of 64
 * elements (no scalar tail, [codegen.vec4.1]).
 */
export function matmulQuads(outShape: Shape, config: KernelConfig, { argShapes, lanes }: { readonly argShapes: readonly Shape[]; readonly lanes: number }): boolean {
  const [bm = 1, bn = 1, bk = 1] = config.blockSizes;
  if (![bm, bn, bk].every((b) => Number.isInteger(b) && b >= 1)) return false;
  const [k = 1, n = 1] = [argShapes[0]?.at(-1), argShapes[1]?.at(-1)];
  const tile = registerTile([bm, bn], lanes);
  return tile.threads < bm * bn && tile.tn % 4 === 0 && bm % 4 === 0 && bk % 4 === 0 && k % 4 === 0 && n % 4 === 0 && numel(outShape) % 64 === 0;
}

/** The deepest BK whose k steps are written out one by one rather than looped ([templates.matmul.regtile]). */
export const UNROLL_K = 16;

/**
 * The register-tiled matmul ([templates.matmul.regtile]): a 1-D workgroup of T invocations computes a BM×BN
 * tile of C, invocation t its TM×TN block at rows ty·TM …, columns tx·TN … (tx = t mod BN/TN, ty = t div
 * BN/TN), in registers. Per step of BK: A's BM×BK tile is staged transposed (mm_a[k][m]) and B's BK×BN tile
 * as is (mm_b[k][n]), each element loaded once through its hook under a mask, consecutive invocations
 * taking consecutive elements of a row (a vec4f tile is written a whole vec4f at a time); then for each k the invocation reads TM consecutive values of A and
 * TN of B (as vec4f where TM, TN are multiples of 4) and adds their outer product to its accumulators.
 * Every register index is a constant: the outer product and the stores are unrolled.
 */
export function emitRegisterTiled(ctx: TemplateContext, { tm, tn, threads }: RegisterTile): TemplateCode {
  const [bm = 1, bn = 1, bk = 1] = ctx.config.blockSizes;
  const { m, k, n } = matmulDims(ctx.argShapes);
  const origin = tileOrigin(ctx, bm, bn);
  const [loadA, loadB] = ctx.loadHooks;
  const s = ctx.size;
  const tx = bn / tn;
  // A's values of one k come as vec4f when TM is a multiple of 4 (then so is BM), B's when TN is.
  const va = tm % 4 === 0;
  const vb = tn % 4 === 0;
  const aStride = va ? bm / 4 : bm;
  const bStride = vb ? bn / 4 : bn;
  const aReads = va ? tm / 4 : tm;
  const bReads = vb ? tn / 4 : tn;
  const aValue = (i: number): string => (va ? `ar${Math.floor(i / 4)}.${XYZW[i % 4]}` : `ar${i}`);
  // Accumulators: one vec4f per row and quad of columns, or one f32 per output.
  const accOf = (i: number, j: number): string => (vb ? `acc${i}_${Math.floor(j / 4)}.${XYZW[j % 4]}` : `acc${i}_${j}`);
  const accNames: string[] = [];
  for (let i = 0; i < tm; i++) for (let q = 0; q < bReads; q++) accNames.push(`acc${i}_${q}`);
  // One k of the outer product; `kk` is the loop's variable, or a constant where the loop is unrolled.
  const productAt = (kk: string): string[] => {
    const row = (stride: number): string => (kk === 'kk' ? `kk * ${stride}u + ` : kk === '0' ? '' : `${Number(kk) * stride}u + `);
    const lines: string[] = [];
    for (let p = 0; p < aReads; p++) lines.push(`let ar${p} = mm_a[${row(aStride)}aOff${p === 0 ? '' : ` + ${p}u`}];`);
    for (let q = 0; q < bReads; q++) lines.push(`let br${q} = mm_b[${row(bStride)}bOff${q === 0 ? '' : ` + ${q}u`}];`);
    for (let i = 0; i < tm; i++) for (let q = 0; q < bReads; q++) lines.push(`acc${i}_${q} += ${aValue(i)} * br${q};`);
    return lines;
  };
  // Up to 16 steps of k are written out, each in its own block, so no loop counter or index arithmetic is
  // left between the multiply-adds; a deeper BK keeps the loop.
  const product =
    bk <= UNROLL_K
      ? Array.from({ length: bk }, (_, kk) => [`  { // k0 + ${kk}`, ...productAt(String(kk)).map((l) => `    ${l}`), '  }']).flat()
      : [`  for (var kk = 0u; kk < ${bk}u; kk++) {`, ...productAt('kk').map((l) => `    ${l}`), '  }'];
  // On the vec4 path ([templates.matmul.vec4]) A, B and C are read and written a quad at a time.
  const quads = ctx.vector !== undefined;
  const [loadA4, loadB4] = ctx.vector?.loadHooks ?? [];
  const storeFn = quads ? 'mm_store4' : 'mm_store';
  const stores: string[] = [];
  if (quads) for (let i = 0; i < tm; i++) for (let q = 0; q < bReads; q++) stores.push(`${storeFn}(batch, rowBase + ${i}u, colBase + ${4 * q}u, acc${i}_${q});`);
  else for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) stores.push(`${storeFn}(batch, rowBase + ${i}u, colBase + ${j}u, ${accOf(i, j)});`);
  const maskA = '// mask: A past its edge reads as 0';
  const maskB = '// mask: B past its edge reads as 0';
  // Staging: a vec4f tile is filled a whole vec4f at a time (never one component of a shared vector, which
  // some backends emulate by rewriting the whole vector), four masked loads each.
  const kq = bk / 4;
  const stageA = quads
    ? [
        `  // Stage A[row0 .. row0+${bm}, k0 .. k0+${bk}] into mm_a, transposed, in 4x4 blocks: block e is rows 4·(e div ${kq}) … +3 and columns 4·(e mod ${kq}) … +3 of the tile, four quads of A's rows, written as the four columns of mm_a they become.`,
        `  for (var e = slot; e < ${(bm * bk) / 16}u; e += ${threads}u) {`,
        `    let m4 = e / ${kq}u; // the block's quad of rows in the tile`,
        `    let kk = e % ${kq}u * 4u; // its first column in the tile`,
        '    let r = row0 + m4 * 4u;',
        '    let c = k0 + kk;',
        '    let i = (a0 + r * K + c) / 4u; // the quad A[r, c … c+3]',
        '    var q0 = vec4f(); var q1 = vec4f(); var q2 = vec4f(); var q3 = vec4f();',
        ...[0, 1, 2, 3].map((q) => `    if (r${q === 0 ? '' : ` + ${q}u`} < M && c < K) { q${q} = ${loadA4}(i${q === 0 ? '' : ` + ${s((q * k) / 4)}`}); } ${maskA}`),
        ...[0, 1, 2, 3].map((j) =>
          va
            ? `    mm_a[(kk + ${j}u) * ${aStride}u + m4] = vec4f(q0.${XYZW[j]}, q1.${XYZW[j]}, q2.${XYZW[j]}, q3.${XYZW[j]}); // column ${j} of the block`
            : `    ${[0, 1, 2, 3].map((q) => `mm_a[(kk + ${j}u) * ${bm}u + m4 * 4u + ${q}u] = q${q}.${XYZW[j]};`).join(' ')} // column ${j} of the block`,
        ),
        '  }',
      ]
    : va
    ? [
        `  // Stage A[row0 .. row0+${bm}, k0 .. k0+${bk}] into mm_a, transposed: quad e is rows 4·(e div ${bk}) … +3 at column e mod ${bk}, so consecutive invocations read consecutive columns of a row.`,
        `  for (var e = slot; e < ${(bm * bk) / 4}u; e += ${threads}u) {`,
        `    let r = row0 + e / ${bk}u * 4u;`,
        `    let c = k0 + e % ${bk}u;`,
        '    let i = a0 + r * K + c;',
        '    var v = vec4f();',
        ...[0, 1, 2, 3].map((q) => `    if (r${q === 0 ? '' : ` + ${q}u`} < M && c < K) { v.${XYZW[q]} = ${loadA}(i${q === 0 ? '' : q === 1 ? ' + K' : ` + ${q}u * K`}); } ${maskA}`),
        `    mm_a[e % ${bk}u * ${aStride}u + e / ${bk}u] = v;`,
        '  }',
      ]
    : [
        `  // Stage A[row0 .. row0+${bm}, k0 .. k0+${bk}] into mm_a, transposed; invocations take elements slot, slot + ${threads}, … of the tile in row-major order.`,
        `  for (var e = slot; e < ${bm * bk}u; e += ${threads}u) {`,
        `    let r = row0 + e / ${bk}u;`,
        `    let c = k0 + e % ${bk}u;`,
        '    var v = 0f;',
        `    if (r < M && c < K) { v = ${loadA}(a0 + r * K + c); } ${maskA}`,
        `    mm_a[e % ${bk}u * ${bm}u + e / ${bk}u] = v;`,
        '  }',
      ];
  const stageB = quads
    ? [
        `  // Stage B[k0 .. k0+${bk}, col0 .. col0+${bn}] into mm_b, a quad of B's row at a time.`,
        `  for (var e = slot; e < ${(bk * bn) / 4}u; e += ${threads}u) {`,
        `    let r = k0 + e / ${bn / 4}u;`,
        `    let c = col0 + e % ${bn / 4}u * 4u;`,
        '    var v = vec4f();',
        `    if (r < K && c < N) { v = ${loadB4}((b0 + r * N + c) / 4u); } ${maskB}`,
        '    mm_b[e] = v;',
        '  }',
      ]
    : vb
    ? [
        `  // Stage B[k0 .. k0+${bk}, col0 .. col0+${bn}] into mm_b: quad e is 4 consecutive columns of a row.`,
        `  for (var e = slot; e < ${(bk * bn) / 4}u; e += ${threads}u) {`,
        `    let r = k0 + e / ${bn / 4}u;`,
        `    let c = col0 + e % ${bn / 4}u * 4u;`,
        '    let i = b0 + r * N + c;',
        '    var v = vec4f();',
        ...[0, 1, 2, 3].map((q) => `    if (r < K && c${q === 0 ? '' : ` + ${q}u`} < N) { v.${XYZW[q]} = ${loadB}(i${q === 0 ? '' : ` + ${q}u`}); } ${maskB}`),
        '    mm_b[e] = v;',
        '  }',
      ]
    : stageBRowMajor(bk, bn, threads, loadB ?? 'load_b');
  const element = (v: boolean): string => (v ? 'vec4f' : 'f32');
  return {
    workgroupSize: [threads, 1, 1],
    tiles: origin.tiles,
    declarations: [
      `var<workgroup> mm_a: array<${element(va)}, ${(bm * bk) / (va ? 4 : 1)}>; // a ${bm}x${bk} tile of A, transposed: mm_a[k][m]`,
      `var<workgroup> mm_b: array<${element(vb)}, ${(bk * bn) / (vb ? 4 : 1)}>; // a ${bk}x${bn} tile of B, row-major: mm_b[k][n]`,
      '',
      quads
        ? '// Stores C[batch, row, col … col+3] through the epilogue, a quad (N is a multiple of 4, so a quad is in C whole or not at all).'
        : '// Stores C[batch, row, col] through the epilogue; an output past the edge of C is not stored.',
      `fn ${storeFn}(batch: u32, row: u32, col: u32, acc: ${quads ? 'vec4f' : 'f32'}) {`,
      `  let M = ${s(m)};`,
      `  let N = ${s(n)};`,
      '  if (row >= M || col >= N) { return; } // bounds guard: ragged tiles store nothing (after the last barrier)',
      quads ? `  ${ctx.vector?.storeHook}((batch * ${s(m * n)} + row * N + col) / 4u, acc);` : `  ${ctx.storeHook}(batch * ${s(m * n)} + row * N + col, acc);`,
      '}',
    ].join('\n'),
    workgroupBytes: matmulWorkgroupBytes([bm, bn, bk]),
    body: [
      `// Register tile: ${threads} invocations, each computing ${tm}x${tn} outputs of a ${bm}x${bn} tile of C ([templates.matmul.regtile]).`,
      ...origin.lines,
      `let a0 = batch * ${s(m * k)}; // A[batch] starts here`,
      `let b0 = batch * ${s(k * n)}; // B[batch] starts here`,
      'let slot = lid.x; // this invocation\'s first element in the staging loops',
      `let tx = lid.x % ${tx}u; // this invocation's outputs: columns tx·${tn} …`,
      `let ty = lid.x / ${tx}u; // and rows ty·${tm} … of the tile`,
      `let aOff = ty * ${aReads}u; // its ${tm} rows in a row of mm_a`,
      `let bOff = tx * ${bReads}u; // its ${tn} columns in a row of mm_b`,
      ...accNames.map((a) => `var ${a} = ${vb ? 'vec4f()' : '0f'};`),
      `for (var k0 = 0u; k0 < K; k0 += ${bk}u) {`,
      ...stageA,
      ...stageB,
      '  workgroupBarrier(); // both tiles staged',
      `  // The outer product of this invocation's ${tm} values of A and ${tn} values of B, for each k of the step.`,
      ...product,
      '  workgroupBarrier(); // every invocation is done with the tiles before they are overwritten',
      '}',
      '// Each output of the register tile is stored once, guarded on its own in mm_store (ragged edges).',
      `let rowBase = row0 + ty * ${tm}u;`,
      `let colBase = col0 + tx * ${tn}u;`,
      ...stores,
    ].join('\n'),
  };
}
