/**
 * A mistake inside a deployment profile is reported at the profile file's line, not at the
 * environment's `profile:` line (which is right): the operator must be sent to the file to fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { loadEnvironment } from './environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-profile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a profile with a YAML error', () => {
  it('is named with its own file, line and column', async () => {
    const profile = path.join(dir, 'site.yaml');
    writeFileSync(profile, "id: site\ntitle: Site\nwords:\n  service_start: 'systemctl start\n  service_stop: systemctl stop\n");
    const environment = path.join(dir, 'env.yaml');
    writeFileSync(environment, `name: site\nprofile: ${profile}\nhosts:\n  ctl: { address: 127.0.0.1, roles: [controller] }\n`);
    let error: unknown;
    try {
      await loadEnvironment(environment, { processEnv: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const problems = (error as ValidationError).problems;
    const inProfile = problems.filter((problem) => problem.file === profile);
    expect(inProfile.length).toBeGreaterThan(0);
    expect(inProfile[0].line).toBeGreaterThanOrEqual(4);
    expect((error as ValidationError).message).toContain(profile);
    // The environment's profile: line says where the bad profile comes from, naming the file.
    const atEnvironment = problems.find((problem) => problem.file === environment);
    expect(atEnvironment?.line).toBe(2);
    expect(atEnvironment?.message).toContain(`${profile} has`);
  });
});
