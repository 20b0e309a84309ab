import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fusedReference } from '../reference-door.js';
import { forgetImplementationUnderTest, implementationUnderTest, takeImplementationCalls } from '../properties/implementation-under-test.js';

// How another implementation plugs in: WGFUSE_IMPL names a module exporting `implementation`.

describe('plugging in an implementation', () => {
  const saved = process.env['WGFUSE_IMPL'];
  beforeEach(() => forgetImplementationUnderTest());
  afterEach(() => {
    if (saved === undefined) delete process.env['WGFUSE_IMPL'];
    else process.env['WGFUSE_IMPL'] = saved;
  });

  test('[interface.plugin.1] without WGFUSE_IMPL the suite judges the reference', async () => {
    delete process.env['WGFUSE_IMPL'];
    const impl = await implementationUnderTest();
    expect(impl.name).toBe(fusedReference.name);
  });

  test('[interface.plugin.1] the suite counts the compile() calls of the implementation under test, so a test that judged nothing is seen', async () => {
    delete process.env['WGFUSE_IMPL'];
    const impl = await implementationUnderTest();
    takeImplementationCalls();
    await impl.compile({ nodes: [], inputs: [], outputs: [] }, new Map(), undefined as unknown as GPUDevice).catch(() => undefined);
    expect(takeImplementationCalls()).toBe(1);
    expect(takeImplementationCalls()).toBe(0);
  });

  test('[interface.plugin.1] WGFUSE_IMPL loads the module at a path and takes its `implementation` export', async () => {
    process.env['WGFUSE_IMPL'] = './conformance/selftest/fixtures/eager-as-implementation.ts';
    const impl = await implementationUnderTest();
    expect(impl.name).toBe('eager reference posing as an implementation');
  });

  test('[interface.plugin.1] a module without an `implementation` export is refused, saying what is missing', async () => {
    process.env['WGFUSE_IMPL'] = './spec/ir/ops.ts';
    await expect(implementationUnderTest()).rejects.toThrow(/\[interface\.plugin\.1\] WGFUSE_IMPL=\.\/spec\/ir\/ops\.ts: the module has no export 'implementation' with a name and a compile/);
  });

  test('[interface.plugin.1] a module that cannot be imported is refused with the import error', async () => {
    process.env['WGFUSE_IMPL'] = './no/such/module.ts';
    await expect(implementationUnderTest()).rejects.toThrow(/\[interface\.plugin\.1\] WGFUSE_IMPL=\.\/no\/such\/module\.ts: cannot import it/);
  });
});
