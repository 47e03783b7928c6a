import { describe, expect, it } from 'vitest';
import { parseServiceList, roleOfService } from './discovery';

// Column names (the -f json keys) and value forms of python-openstackclient 6.0's list commands:
// compute service list as captured (/work/shared/openstack-cli/compute-service-list.txt);
// network agent list and volume service list from OSC's column definitions (Alive/State are
// booleans in -f json; cinder's Host is host@backend).
describe('parseServiceList', () => {
  it('reads nova services and their roles', () => {
    const services = parseServiceList('nova', JSON.stringify([
      { ID: 'd7c1d27d', Binary: 'nova-scheduler', Host: 'vm', Zone: 'internal', Status: 'enabled', State: 'up', 'Updated At': '2026-11-21T23:54:37.000000' },
      { ID: 'c1eb3e3e', Binary: 'nova-compute', Host: 'compute02', Zone: 'nova', Status: 'enabled', State: 'down', 'Updated At': '2026-11-21T23:54:43.000000' },
    ]));
    expect(services).toEqual([
      { project: 'nova', binary: 'nova-scheduler', host: 'vm', healthy: true },
      { project: 'nova', binary: 'nova-compute', host: 'compute02', healthy: false },
    ]);
    expect(services.map(roleOfService)).toEqual(['controller', 'compute']);
  });

  it('reads neutron agents: l3/dhcp/metadata make a network node, the OVS agent no role', () => {
    const services = parseServiceList('neutron', JSON.stringify([
      { ID: 'a1', 'Agent Type': 'L3 agent', Host: 'net01', 'Availability Zone': 'nova', Alive: true, State: true, Binary: 'neutron-l3-agent' },
      { ID: 'a2', 'Agent Type': 'Open vSwitch agent', Host: 'compute01', 'Availability Zone': null, Alive: false, State: true, Binary: 'neutron-openvswitch-agent' },
    ]));
    expect(services.map((service) => [service.host, roleOfService(service), service.healthy])).toEqual([['net01', 'network', true], ['compute01', undefined, false]]);
  });

  it('reads cinder services, host@backend being the host', () => {
    const services = parseServiceList('cinder', JSON.stringify([
      { Binary: 'cinder-volume', Host: 'storage01@lvm', Zone: 'nova', Status: 'enabled', State: 'up', 'Updated At': '2026-11-21T23:54:37.000000' },
    ]));
    expect(services).toEqual([{ project: 'cinder', binary: 'cinder-volume', host: 'storage01', healthy: true }]);
    expect(roleOfService(services[0])).toBe('storage');
  });

  it('says when the output is not JSON', () => {
    expect(() => parseServiceList('nova', '+----+\n| ID |')).toThrow('The nova service list was not JSON');
  });
});
