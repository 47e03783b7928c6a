import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TeamAudit } from '../team/audit';
import { parseRunbook } from '../runbook/parse';
import { compareRowCounts, describeSqlError, MysqlConnector, openMysqlConnection } from './mysql';

const database = { name: 'openstack', host: 'controller01', address: '127.0.0.1', port: 3306, user: 'root', password: 's3cret' };

describe('sql steps in runbooks', () => {
  const runbook = (sql: string) => `id: t\ntitle: T\ndescription: d\nparams:\n  host: { type: string, default: compute01 }\nsteps:\n  - id: q\n    sql:\n${sql}\n`;

  it('parses a query with bound args and a row count with a manifest to compare', () => {
    const result = parseRunbook(
      `id: t\ntitle: T\ndescription: d\nparams:\n  host: { type: string, default: compute01 }\nsteps:\n` +
        `  - id: counts\n    sql: { database: openstack, row_counts: [nova, nova_api] }\n    capture: { manifest: { json: "[*]" } }\n` +
        `  - id: again\n    sql: { database: openstack, row_counts: [nova], compare_with: "{{ captures.manifest }}" }\n` +
        `  - id: q\n    sql: { database: openstack, query: "SELECT COUNT(*) AS n FROM nova.instances WHERE host = ?", args: ["{{ params.host }}"] }\n    expect: { json: [{ path: "[0].n", equals: 0 }] }\n`,
      't.yaml',
    );
    expect(result.problems).toEqual([]);
    const [counts, again, query] = result.runbook!.steps;
    expect(counts).toMatchObject({ kind: 'sql', database: 'openstack', rowCounts: ['nova', 'nova_api'], args: [] });
    expect(again).toMatchObject({ kind: 'sql', compareWith: '{{ captures.manifest }}' });
    expect(query).toMatchObject({ kind: 'sql', query: expect.stringContaining('WHERE host = ?'), args: ['{{ params.host }}'] });
  });

  it('refuses a step with both or neither of query and row_counts, and undefined references in args', () => {
    expect(
      parseRunbook(runbook('      database: openstack'), 't.yaml')
        .problems.map((p) => p.message)
        .join('\n'),
    ).toMatch(/exactly one of query or row_counts/);
    expect(
      parseRunbook(runbook('      database: openstack\n      query: SELECT 1\n      row_counts: [nova]'), 't.yaml')
        .problems.map((p) => p.message)
        .join('\n'),
    ).toMatch(/exactly one of query or row_counts/);
    const dangling = parseRunbook(runbook('      database: openstack\n      query: SELECT ?\n      args: ["{{ params.nope }}"]'), 't.yaml').problems;
    expect(dangling[0]).toMatchObject({ line: 11 });
    expect(dangling[0].message).toMatch(/nope/);
  });
});

describe('compareRowCounts', () => {
  const manifest = [
    { schema: 'nova', table: 'instances', rows: 3 },
    { schema: 'nova', table: 'services', rows: 2 },
  ];

  it('passes identical counts', () => {
    expect(
      compareRowCounts(
        [
          { schema: 'nova', table: 'instances', rows: 3 },
          { schema: 'nova', table: 'services', rows: 2 },
        ],
        manifest,
      ),
    ).toEqual([]);
  });

  it('names every table that differs, appeared or vanished', () => {
    expect(
      compareRowCounts(
        [
          { schema: 'nova', table: 'instances', rows: 1 },
          { schema: 'nova', table: 'extra', rows: 0 },
        ],
        manifest,
      ),
    ).toEqual(['nova.instances: 1 rows, the manifest says 3', 'nova.extra: 0 rows, not in the manifest', 'nova.services: in the manifest, missing now']);
  });

  it('says so when the manifest is not a list', () => {
    expect(compareRowCounts([], 'oops')).toEqual(['the expected manifest is not a list of {schema, table, rows}']);
  });
});

describe('describeSqlError', () => {
  it('explains a refused login without the password', () => {
    const error = describeSqlError(database, Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR' }));
    expect(error.code).toBe('sql-auth');
    expect(error.userMessage).toContain('root@127.0.0.1:3306 via controller01');
    expect(error.userMessage).not.toContain('s3cret');
  });
});

describe('openMysqlConnection, the one way to a database (sql steps and the team database)', () => {
  it('refuses a database behind a host when there is no tunnel, for sql steps and the team database alike', async () => {
    await expect(openMysqlConnection(database, undefined, {})).rejects.toMatchObject({ code: 'sql-no-tunnel', userMessage: expect.stringContaining('controller01') });
    await expect(new MysqlConnector().query(database, 'SELECT 1', [], { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'sql-no-tunnel' });
    const team = new TeamAudit({ database, schema: 'opsdeck_audit', environment: 'test' });
    await expect(team.listRuns()).rejects.toMatchObject({ code: 'team-no-tunnel', userMessage: expect.stringContaining('via controller01') });
    await team.close();
  });

  it('asks the tunnel for the database address as the host sees it, and destroys the stream when the server hangs up', async () => {
    // A "database" that accepts and hangs up at once: mysql2 fails its handshake.
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const asked: unknown[] = [];
    let stream: net.Socket | undefined;
    const tunnel = async (hostName: string, address: string, targetPort: number) => {
      asked.push([hostName, address, targetPort]);
      stream = net.connect(port, '127.0.0.1');
      return stream;
    };
    try {
      await expect(openMysqlConnection({ ...database, port: 3307 }, tunnel, { connectTimeout: 5000 })).rejects.toBeDefined();
      expect(asked).toEqual([['controller01', '127.0.0.1', 3307]]);
      expect(stream?.destroyed).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
