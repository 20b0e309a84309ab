// What the WGSL repros in adapters/findings/ share: one compute pass of one shader over an input buffer
// (binding 0, read-only storage) and an output buffer (binding 1), read back.

/** Compiles `code` (entry point `main`), dispatches `workgroups` once with `input` at binding 0, and returns the `outBytes` of binding 1. */
export async function dispatchOnce(device: GPUDevice, code: string, input: ArrayBufferView<ArrayBuffer>, outBytes: number, workgroups = 1): Promise<ArrayBuffer> {
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const src = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(src, 0, input);
  const dst = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const back = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] }));
  pass.dispatchWorkgroups(workgroups);
  pass.end();
  encoder.copyBufferToBuffer(dst, 0, back, 0, outBytes);
  device.queue.submit([encoder.finish()]);
  await back.mapAsync(GPUMapMode.READ);
  return back.getMappedRange().slice(0);
}
