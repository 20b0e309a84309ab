// Runs in every test process before any test file: Dawn's GL backend needs a surfaceless EGL platform,
// and it must be set before the first WebGPU instance is created.
process.env['EGL_PLATFORM'] ??= 'surfaceless';
