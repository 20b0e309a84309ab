import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS, createRegistry, elementwiseAdd, generateProgram, lowerGraph, TEMPLATES, trace } from '../index.js';
import type { KernelTemplate, Shape, Tensor } from '../index.js';

/** Argument shapes to ask each template's picker about: tiny, ragged, prime, and the bench's sizes. */
const SHAPES: Readonly<Record<string, readonly (readonly Shape[])[]>> = {
  elementwise_add: [[[1], [1]], [[7, 13], [7, 13]], [[1 << 20], [1 << 20]]],
  matmul: [[[1, 1], [1, 1]], [[7, 13], [13, 5]], [[130, 67], [67, 129]], [[2, 33, 17], [2, 17, 65]], [[2048, 2048], [2048, 2048]]],
  softmax: [[[1]], [[3, 5]], [[64, 100]], [[4096, 4096]], [[2, 20000]]],
  rmsnorm: [[[1], [1]], [[3, 5], [5]], [[64, 100], [100]], [[4096, 4096], [4096]], [[2, 20000], [20000]]],
};

const tunedTemplates = [...TEMPLATES.values()].filter((t): t is KernelTemplate & { tuned: NonNullable<KernelTemplate['tuned']> } => t.tuned !== undefined);

describe('tuned configs', () => {
  test('[registry.config.4] a registration without configs takes the template\'s tuned configs and picker; the catalog carries them', () => {
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd });
    const graph = trace((x: Tensor, y: Tensor) => add(x, y), { x: [5], y: [5] });
    const call = graph.nodes.find((n) => n.kind === 'call');
    expect(call).toMatchObject({ configKey: 'default', config: elementwiseAdd.tuned?.configs['default'] });
    expect(registry.kernels.get('add')?.configs).toEqual(elementwiseAdd.tuned?.configs);
    // A picker given with no configs still picks, among the tuned ones.
    const own = createRegistry().register('add', { template: elementwiseAdd, configPicker: () => 'nope' });
    expect(() => trace((x: Tensor, y: Tensor) => own(x, y), { x: [5], y: [5] })).toThrow(/\[registry\.config\.2\] add: the picker returned 'nope'/);
  });

  test('[registry.config.4] a template without tuned configs needs configs, and the error says so', () => {
    const bare: KernelTemplate = { ...elementwiseAdd, id: 'bare_add', tuned: undefined };
    expect(() => createRegistry().register('k', { template: bare })).toThrow(/\[registry\.config\.4\] k: no configs given, and bare_add has no tuned configs/);
  });

  test('[registry.config.4] every reference template has tuned configs', () => {
    expect(tunedTemplates.map((t) => t.id).sort()).toEqual([...TEMPLATES.keys()].sort());
  });

  test.each(tunedTemplates.map((t) => [t.id, t] as const))('[registry.config.4] %s: the picker names a tuned config for every shape, and it compiles within compatibility and core default limits', (id, template) => {
    const shapes = SHAPES[id];
    if (shapes === undefined) throw new Error(`no shapes listed for ${id}`);
    for (const args of shapes) {
      const key = template.tuned.picker(args.map((shape) => ({ shape })));
      expect(Object.keys(template.tuned.configs), `${id} at ${JSON.stringify(args)}`).toContain(key);
      const registry = createRegistry();
      const k = registry.register('k', { template });
      const inputs = Object.fromEntries(args.map((shape, i) => [`a${i}`, shape]));
      const graph = trace((...ts: Tensor[]) => k(...ts).relu(), inputs);
      expect(graph.nodes.find((n) => n.kind === 'call')).toMatchObject({ configKey: key });
      for (const limits of [COMPAT_DEFAULT_LIMITS, CORE_DEFAULT_LIMITS]) {
        const sources = generateProgram(lowerGraph(graph, registry.templates), registry.templates, limits);
        expect(sources, `${id} at ${JSON.stringify(args)}`).toHaveLength(1);
      }
    }
  });
});
