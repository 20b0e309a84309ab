/**
 * The device profile a run judges under ([interface.needs.3]), from WGFUSE_PROFILE:
 * - `needs` (the default): the device is opened with what the implementation declares it needs, when the
 *   adapter has it;
 * - `defaults`: the device keeps the adapter's default limits and no optional features, whatever the
 *   implementation declares. Holding an implementation to the portable baseline is this profile's verdict,
 *   named in the report, never a side effect of a run that meant to judge something else.
 */
import type { DeviceNeeds } from '../../spec/implementation.js';
import { envVar } from './runtime.js';

export const PROFILES = ['needs', 'defaults'] as const;
export type Profile = (typeof PROFILES)[number];

export function profileFromEnv(): Profile {
  const raw = envVar('WGFUSE_PROFILE');
  if (raw === undefined || raw === '') return 'needs';
  const found = PROFILES.find((p) => p === raw);
  if (found === undefined) throw new Error(`[interface.needs.3] WGFUSE_PROFILE=${raw}: expected ${PROFILES.join(' or ')}`);
  return found;
}

/** What the device is opened with under `profile`. */
export function neededUnder(profile: Profile, needs: DeviceNeeds | undefined): DeviceNeeds | undefined {
  return profile === 'defaults' ? undefined : needs;
}

/** The declared needs in a line, for the report of a run that did not request them. */
export function describeNeeds(needs: DeviceNeeds | undefined): string {
  const parts = [
    ...Object.entries(needs?.limits ?? {}).map(([k, v]) => `${k} ${k.startsWith('min') ? '<=' : '>='} ${v}`),
    ...(needs?.features ?? []).map((f) => `feature ${f}`),
    ...(needs?.optionalFeatures ?? []).map((f) => `optional feature ${f}`),
  ];
  return parts.length === 0 ? 'none' : parts.join(', ');
}
