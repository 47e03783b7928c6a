import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { notPresent, parseServiceList, roleOfService } from './discovery';

const REAL_LAB = path.resolve(import.meta.dirname, '../../../../test/fixtures/openstack-cli/real-lab');

// Column names (the -f json keys) and value forms of python-openstackclient 6.0's list commands:
// compute service list as captured (/work/shared/openstack-cli/compute-service-list.txt);
// network agent list and volume service list from OSC's column definitions (Alive/State are
// booleans in -f json; cinder's Host is host@backend).
describe('parseServiceList', () => {
  it('reads nova services and their roles', () => {
    const services = parseServiceList(
      'nova',
      JSON.stringify([
        { ID: 'd7c1d27d', Binary: 'nova-scheduler', Host: 'vm', Zone: 'internal', Status: 'enabled', State: 'up', 'Updated At': '2026-11-21T23:54:37.000000' },
        { ID: 'c1eb3e3e', Binary: 'nova-compute', Host: 'compute02', Zone: 'nova', Status: 'enabled', State: 'down', 'Updated At': '2026-11-21T23:54:43.000000' },
      ]),
    );
    expect(services).toEqual([
      { project: 'nova', binary: 'nova-scheduler', host: 'vm', healthy: true },
      { project: 'nova', binary: 'nova-compute', host: 'compute02', healthy: false },
    ]);
    expect(services.map(roleOfService)).toEqual(['controller', 'compute']);
  });

  it('reads neutron agents: l3/dhcp/metadata make a network node, the OVS agent no role', () => {
    const services = parseServiceList(
      'neutron',
      JSON.stringify([
        { ID: 'a1', 'Agent Type': 'L3 agent', Host: 'net01', 'Availability Zone': 'nova', Alive: true, State: true, Binary: 'neutron-l3-agent' },
        { ID: 'a2', 'Agent Type': 'Open vSwitch agent', Host: 'compute01', 'Availability Zone': null, Alive: false, State: true, Binary: 'neutron-openvswitch-agent' },
      ]),
    );
    expect(services.map((service) => [service.host, roleOfService(service), service.healthy])).toEqual([
      ['net01', 'network', true],
      ['compute01', undefined, false],
    ]);
  });

  it('reads cinder services, host@backend being the host', () => {
    const services = parseServiceList(
      'cinder',
      JSON.stringify([{ Binary: 'cinder-volume', Host: 'storage01@lvm', Zone: 'nova', Status: 'enabled', State: 'up', 'Updated At': '2026-11-21T23:54:37.000000' }]),
    );
    expect(services).toEqual([{ project: 'cinder', binary: 'cinder-volume', host: 'storage01', healthy: true }]);
    expect(roleOfService(services[0])).toBe('storage');
  });

  it('says when the output is not JSON', () => {
    expect(() => parseServiceList('nova', '+----+\n| ID |')).toThrow('The nova service list was not JSON');
  });
});

describe('a service the cloud does not have', () => {
  it('is "not present" when the catalog has no endpoint for it (the real lab without cinder); any other failure is not', () => {
    const stderr = readFileSync(path.join(REAL_LAB, 'volume-service-list.stderr'), 'utf8');
    expect(notPresent('cinder', stderr)).toBe("cinder: volume service list: not present (the cloud's catalog has no volumev3 endpoint in RegionOne); no host proposed from it.");
    expect(notPresent('neutron', 'Failed to discover available identity versions when contacting http://controller:5000/v3.\n')).toBeUndefined();
  });

  it("reads the real lab's answers: nova's services, and neutron-server without agents as an empty list", () => {
    const services = parseServiceList('nova', readFileSync(path.join(REAL_LAB, 'compute-service-list.json'), 'utf8'));
    expect(services.map((service) => [service.binary, service.host, roleOfService(service), service.healthy])).toEqual([
      ['nova-conductor', 'controller', 'controller', true],
      ['nova-scheduler', 'controller', 'controller', true],
      ['nova-compute', 'compute02', 'compute', true],
      ['nova-compute', 'compute01', 'compute', true],
    ]);
    expect(parseServiceList('neutron', readFileSync(path.join(REAL_LAB, 'network-agent-list.json'), 'utf8'))).toEqual([]);
  });
});
