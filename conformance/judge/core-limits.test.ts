import { describe, test } from 'vitest';
import { implementationUnderTest } from '../properties/implementation-under-test.js';
import { judgeRandomProperty } from '../properties/judge-property.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';

// spec/codegen.md [codegen.limits.core], judged on an executing adapter whose device grants 256
// invocations per workgroup (a core-level device: SwiftShader, lavapipe, a GPU) against the
// implementation under test: kernels with 129 to 256 invocations, fused with random chains. The other
// properties keep to the compatibility level's 128, so on a core-level device both are judged. Where the
// device grants 128, the test skips, naming the limit.

const impl = await implementationUnderTest();
const FILE = 'conformance/judge/core-limits.test.ts';

describe(`core limits on a device: ${impl.name}`, () => {
  for (const property of Object.values(RANDOM_PROPERTIES).filter((p) => p.testFile === FILE)) {
    test(property.testTitle, async (ctx) => {
      await judgeRandomProperty(property, impl, ctx);
    });
  }
});
