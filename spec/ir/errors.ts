/**
 * Every error the reference raises carries the spec rule it enforces, so a message reads
 * `[rule-id] subject: what is wrong. hint` (spec/README.md, "Errors").
 */
export class WgfuseError extends Error {
  constructor(
    readonly rule: string,
    readonly detail: string,
  ) {
    super(`[${rule}] ${detail}`);
    this.name = 'WgfuseError';
  }
}
