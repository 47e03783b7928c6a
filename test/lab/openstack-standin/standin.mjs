#!/usr/bin/env node
/**
 * Stand-ins for the OpenStack command-line tools, for the SSH lab: one Node script (no npm
 * dependencies) that every lab host runs through small wrappers in the lab's bin directory
 * (`<bin>/openstack`, `<bin>/nova`, `<bin>/service`, ... — see test/lab/openstack-lab.ts). The
 * first argument names the tool; the state is one JSON file shared by all lab hosts (they share
 * the file system), named by $OPSDECK_STANDIN_STATE, guarded by a lock file so that parallel calls
 * (concurrent live migrations) never lose an update.
 *
 * WHAT EACH TOOL MIRRORS, AND FROM WHERE
 *
 * `openstack` — python-openstackclient 6.0.0 against nova 26 (Zed), microversion 2.latest (2.93).
 *   Source: the real captures in /work/shared/openstack-cli/*.txt (copied into
 *   test/fixtures/openstack-cli/ and compared byte for byte by test/integration/openstack-standin.test.ts):
 *   - `compute service list [--service B] [--host H] [--long]`: columns, -f json key names (the table
 *     headers), -f value column order, table borders, `None`/`False` in tables, JSON null/false
 *     (compute-service-list.txt). `Updated At` is the last heartbeat: now while the service runs.
 *   - `compute service set --disable [--disable-reason R] | --enable | --down | --up HOST BINARY`:
 *     prints nothing, exit 0 (compute-service-list.txt); unknown host/binary: the errors.txt text.
 *     `--enable` clears the reason (nova sets disabled_reason to None when enabling).
 *   - `server list [--host H] [--all-projects] [--long]`: json/value/table (server-list.txt; `--long`'s
 *     columns as the real lab prints them, test/fixtures/openstack-cli/real-lab/). Without
 *     --all-projects only the current project's servers are listed (nova's default filter). Newest
 *     first (nova sorts by created_at desc). An empty table prints nothing (cliff's print_empty=False).
 *   - `server show ID|NAME -f json` (server-show.txt): keys sorted, hostId = sha224(project_id + host)
 *     as nova computes it, host_status UP / DOWN (forced down) / MAINTENANCE (disabled) / UNKNOWN
 *     (not reporting) as nova's get_instance_host_status orders them. Unknown server: errors.txt.
 *   - `server migrate --live-migration [--block-migration | --shared-migration] [--host H] --wait ID`:
 *     prints `Complete` (live-migration.txt). Upstream behaviour the captures do not show, mirrored
 *     from the OSC 6.0 and nova 26 sources: with neither flag OSC sends block_migration='auto'
 *     (microversion >= 2.25), so nova chooses and the move works with or without shared storage;
 *     `--shared-migration` without shared storage fails nova's pre-check ("... is not on shared
 *     storage"), `--block-migration` with shared storage fails it too ("Block migration can not be
 *     used with shared storage."). Since microversion 2.34 those pre-checks run asynchronously in the
 *     conductor: the API still accepts the request, the migration record ends in status `error`,
 *     the server stays ACTIVE on its host — and OSC's --wait, which polls until the status is
 *     ACTIVE, still prints `Complete` and exits 0. The stand-in reproduces that trap on purpose
 *     (a runbook must check where the server ended up). The same happens when the scheduler finds
 *     no valid host (CPU 16:1 / RAM 1.5:1 allocation ratios, enabled and up nova-compute services
 *     only) and for a server seeded with `refuseMigration: true` (a straggler). A server that is not
 *     ACTIVE or PAUSED is refused synchronously with nova's InstanceInvalidState (HTTP 409).
 *   - `server migration list`: columns and order, newest first (live-migration.txt); evacuations
 *     appear with Type `evacuation` and Status `done` (nova's evacuation migration states).
 *   - `hypervisor list` (hypervisor.txt). `hypervisor show` fails exactly as in the captured
 *     deployment (hypervisor.txt): nothing should depend on it.
 *   - `endpoint list [--service S] [--interface I]`: NOT captured. Columns from OSC 6.0
 *     identity/v3/endpoint.py ListEndpoint: ID, Region, Service Name, Service Type, Enabled,
 *     Interface, URL, in the same cliff formats as above.
 *   - Errors: errors.txt (stderr, exit 1). Other HTTP errors use the same
 *     `<message> (HTTP <code>) (Request-ID: req-<uuid>)` form. State `auth: "bad-password"` makes
 *     every command fail with the captured HTTP 401.
 * - `server create --flavor F --image I --nic none --wait NAME`, `server delete --wait NAME`,
 *   `image list`, `flavor list`: the full-outage proof (boot, ACTIVE, delete), in the formats of
 *   results/22-hosts-rabbit-recovery.txt and OSC 6.0's list commands (see each function).
 * `nova` — python-novaclient 18 (Zed), `nova evacuate [--password P] SERVER [HOST]`, because
 *   python-openstackclient 6.0's `server evacuate` evacuates and then crashes printing the result
 *   (`'TupleWithMeta' object has no attribute 'to_dict'`, non-zero exit; measured in the OpenStack
 *   lab), so the runbook cannot judge it by its exit code. Mirrored from novaclient's shell.py and nova's
 *   evacuate API: the shell always prints "nova CLI is deprecated and will be removed in a future
 *   release" on stderr; at microversion >= 2.14 the API returns no body, so nothing is printed on
 *   success; errors print `ERROR (<Class>): <message> (HTTP <code>) (Request-ID: ...)` and exit 1.
 *   Preconditions as nova checks them: the source compute service must be down or forced down
 *   ("Compute service of <host> is still in use.", HTTP 400), the target must differ from the source
 *   ("The target host can't be the same one.", HTTP 400). The evacuation itself is asynchronous:
 *   status REBUILD (task_state rebuilding) for `evacuateDelayMs`, then ACTIVE on the new host; without
 *   shared storage the server is rebuilt from its image (recorded as `rebuiltFromImage`).
 * `service` — systemctl for the lab: `start|stop|restart UNIT...` print nothing (exit 0),
 *   `is-active UNIT...` prints active/inactive per unit (exit 0 when all are active, else 3), as
 *   systemctl does. `list-unit-files [--type=service] [--no-legend] [--plain]` prints the host's
 *   unit files (state `unitFiles[host]`) as systemd 252 does: `NAME.service STATE PRESET`, each
 *   column padded to its widest cell plus one space, the header `UNIT FILE STATE PRESET` and the
 *   footer `N unit files listed.` unless --no-legend (measured with the real systemctl 252 on
 *   Debian 12). When the host has a unitFiles list, a unit that is not in it fails as systemd
 *   fails it: `Failed to stop X.service: Unit X.service not loaded.` / `Failed to start
 *   X.service: Unit X.service not found.`, exit 5. A unit named `host:unit` in `unstoppable`
 *   refuses to stop: `Job for X.service failed.` and the systemctl status/journalctl hint, exit 1. Stopping the nova-compute unit of a host stops that host's nova-compute
 *   heartbeat: the stand-in reports its State `down` at once (real nova waits service_down_time,
 *   60 s by default — an assumption made so tests need not wait).
 * `rabbitmqctl` — `list_queues name messages consumers` in the captured format (rabbitmqctl.txt),
 *   from the state's queues. `mysql` — `-e 'SHOW DATABASES'` in the captured batch format
 *   (mysql.txt); a dump on stdin is recorded as restored. `mysqlcheck` — `--all-databases`
 *   (`--databases D...`) prints `<db>.<table>` left-justified in 50 columns then `OK`, as mysqlcheck
 *   does. `mysqldump` — a dump with MariaDB's header and `-- Dump completed on ...` trailer.
 *   `*-manage` — db sync commands print nothing and exit 0 (recorded; the runbooks judge exit codes
 *   only). `packages` — `list` prints `NAME VERSION` lines like the profiles' installed_versions,
 *   `simulate` prints what `apt-get -s dist-upgrade` prints (apt 2.6, measured on Debian 12) and changes nothing,
 *   `upgrade` raises every package to its `available` version (keeping configs), `install-versions`
 *   reads `NAME VERSION` lines on stdin and installs exactly those.
 *
 * Every call is appended to the state's `calls` (tool, argv, host, uid, time) so tests can prove
 * what ran where, as whom, and that no argument ever became shell syntax.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

const [, , tool, ...args] = process.argv;
const STATE_FILE = process.env.OPSDECK_STANDIN_STATE;

class Exit extends Error {
  constructor(code, stderr = '', stdout = '') {
    super(stderr);
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

// ---- state, locking -----------------------------------------------------------------------------

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockPath() {
  return `${STATE_FILE}.lock`;
}

function acquireLock() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath(), 'wx', 0o666);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A holder that died leaves its lock behind: take it over once its process is gone.
      try {
        const pid = Number(fs.readFileSync(lockPath(), 'utf8'));
        if (pid > 0 && !alive(pid)) fs.rmSync(lockPath(), { force: true });
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Exit(75, `stand-in: could not lock ${STATE_FILE} within 30 s\n`);
      sleepMs(5 + Math.floor(Math.random() * 10));
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function releaseLock() {
  fs.rmSync(lockPath(), { force: true });
}

function readState() {
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
}

function writeState(state) {
  const temporary = `${STATE_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o666 });
  fs.renameSync(temporary, STATE_FILE);
}

/** Runs `change` on the state under the lock, finishing due asynchronous operations first. */
function withState(change) {
  acquireLock();
  try {
    const state = readState();
    settlePending(state);
    try {
      return change(state);
    } finally {
      // Written on errors too: the call is recorded, and nothing is half-changed because every
      // command validates before it modifies.
      writeState(state);
    }
  } finally {
    releaseLock();
  }
}

function record(state) {
  state.calls ??= [];
  state.calls.push({
    tool,
    argv: args,
    host: os.hostname(),
    uid: process.getuid?.() ?? -1,
    time: new Date().toISOString(),
  });
}

// ---- time and formats ---------------------------------------------------------------------------

function nowIso(state) {
  if (state.now) return state.now;
  return new Date().toISOString().slice(0, 19);
}

function microseconds(isoSeconds) {
  return `${isoSeconds}.000000`;
}

function requestId() {
  return `req-${randomUUID()}`;
}

/** Python's json.dumps(value, indent=2) with ensure_ascii=True, as cliff's JSON formatter writes. */
function pyJson(value, indent = 2, level = 0) {
  const pad = ' '.repeat(indent * (level + 1));
  const end = ' '.repeat(indent * level);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => pad + pyJson(item, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((key) => `${pad}${pyString(key)}: ${pyJson(value[key], indent, level + 1)}`).join(',\n')}\n${end}}`;
}

function pyFloat(number) {
  const text = String(number);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

function pyString(text) {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0);
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) {
      if (code === 0x7f) out += char;
      else if (code > 0xffff) {
        const offset = code - 0x10000;
        out += `\\u${(0xd800 + (offset >> 10)).toString(16).padStart(4, '0')}\\u${(0xdc00 + (offset & 0x3ff)).toString(16).padStart(4, '0')}`;
      } else out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

/** Python's str() of a value, as cliff's value formatter prints a cell. */
function pyStr(value) {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  return pyRepr(value);
}

function pyRepr(value) {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyStr(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${pyRepr(key)}: ${pyRepr(item)}`)
    .join(', ')}}`;
}

/** A table cell as cliff's table formatter shows it (human-readable form). */
function tableCell(value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    // OSC's DictListColumn (server list Networks): "net=ip1, ip2; net2=ip3".
    return Object.keys(value)
      .sort()
      .map((key) => `${key}=${[].concat(value[key]).join(', ')}`)
      .join('; ');
  }
  return pyStr(value);
}

/** cliff's table formatter (prettytable): left-aligned text, right-aligned numbers, nothing when empty. */
function formatTable(columns, rows) {
  if (rows.length === 0) return '';
  const cells = rows.map((row) => row.map(tableCell));
  const right = rows[0].map((value) => typeof value === 'number');
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index].length)));
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (values) => `| ${values.map((value, index) => (right[index] ? value.padStart(widths[index]) : value.padEnd(widths[index]))).join(' | ')} |`;
  return [border, line(columns), border, ...cells.map(line), border].join('\n') + '\n';
}

function formatValue(rows) {
  return rows.map((row) => row.map(pyStr).join(' ') + '\n').join('');
}

/** Prints a list (cliff Lister) in the format and columns asked for. */
function emitList(options, columns, rows) {
  let chosenColumns = columns;
  let chosenRows = rows;
  if (options.columns.length > 0) {
    const indexes = columns.map((column, index) => (options.columns.includes(column) ? index : -1)).filter((index) => index >= 0);
    if (indexes.length === 0) {
      throw new Exit(1, `No recognized column names in ${pyRepr(options.columns)}. Recognized columns are ${pyTuple(columns)}.\n`);
    }
    chosenColumns = indexes.map((index) => columns[index]);
    chosenRows = rows.map((row) => indexes.map((index) => row[index]));
  }
  switch (options.format) {
    case 'json':
      return pyJson(chosenRows.map((row) => Object.fromEntries(chosenColumns.map((column, index) => [column, row[index]])))) + '\n';
    case 'value':
      return formatValue(chosenRows);
    case 'table':
      return formatTable(chosenColumns, chosenRows);
    default:
      throw usage(`argument -f/--format: invalid choice: '${options.format}' (choose from 'csv', 'json', 'table', 'value', 'yaml')`);
  }
}

function pyTuple(values) {
  return `(${values.map(pyRepr).join(', ')}${values.length === 1 ? ',' : ''})`;
}

/** Prints one object (cliff ShowOne): keys sorted, as OSC's server show does. */
function emitOne(options, object) {
  const keys = Object.keys(object).sort();
  const chosen = options.columns.length > 0 ? keys.filter((key) => options.columns.includes(key)) : keys;
  if (options.columns.length > 0 && chosen.length === 0) {
    throw new Exit(1, `No recognized column names in ${pyRepr(options.columns)}. Recognized columns are ${pyTuple(keys)}.\n`);
  }
  if (options.format === 'json') return pyJson(Object.fromEntries(chosen.map((key) => [key, object[key]]))) + '\n';
  if (options.format === 'value') return chosen.map((key) => pyStr(object[key]) + '\n').join('');
  throw new Exit(2, `stand-in: only -f json and -f value are implemented for show commands (the captures have no table of them)\n`);
}

// ---- argument parsing ---------------------------------------------------------------------------

function usage(message) {
  return new Exit(2, `usage: openstack ${args.slice(0, 2).join(' ')} [-h] ...\nopenstack ${args.slice(0, 2).join(' ')}: error: ${message}\n`);
}

/**
 * Splits argv into options and positionals. `flags` take no value; `valued` take one (repeatable
 * ones collect into a list). -f/--format and -c/--column are always understood.
 */
function parseOptions(argv, flags, valued) {
  const options = { format: 'table', columns: [], flags: new Set(), values: {}, positionals: [] };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const take = () => {
      if (index + 1 >= argv.length) throw usage(`argument ${arg}: expected one argument`);
      return argv[++index];
    };
    if (arg === '-f' || arg === '--format') options.format = take();
    else if (arg.startsWith('--format=')) options.format = arg.slice('--format='.length);
    else if (arg === '-c' || arg === '--column') options.columns.push(take());
    else if (arg === '--noindent' || arg === '--quote' || arg === '--max-width' || arg === '--fit-width') {
      if (arg === '--max-width') take();
    } else if (flags.includes(arg)) options.flags.add(arg);
    else if (valued.includes(arg)) options.values[arg] = take();
    else if (arg.startsWith('-') && arg !== '-') throw usage(`unrecognized arguments: ${arg}`);
    else options.positionals.push(arg);
  }
  return options;
}

// ---- nova's view of the world ------------------------------------------------------------------

function serviceState(service) {
  return service.forcedDown || !service.running ? 'down' : 'up';
}

function serviceUpdatedAt(state, service) {
  if (!state.now && service.running && !service.forcedDown) service.updatedAt = nowIso(state);
  return microseconds(service.updatedAt);
}

function computeService(state, host) {
  return state.services.find((service) => service.binary === 'nova-compute' && service.host === host);
}

function hostStatus(state, host) {
  const service = computeService(state, host);
  if (!service) return '';
  if (service.forcedDown) return 'DOWN';
  if (service.disabled) return 'MAINTENANCE';
  return service.running ? 'UP' : 'UNKNOWN';
}

function findServer(state, reference) {
  const byId = state.servers.filter((server) => server.id === reference);
  if (byId.length === 1) return byId[0];
  const byName = state.servers.filter((server) => server.name === reference);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw new Exit(1, `More than one server exists with the name '${reference}'.\n`);
  throw new Exit(1, `No server with a name or ID of '${reference}' exists.\n`);
}

function httpError(message, code) {
  return new Exit(1, `${message} (HTTP ${code}) (Request-ID: ${requestId()})\n`);
}

function serverStatus(server) {
  if (server.pending?.kind === 'live-migration') return 'MIGRATING';
  if (server.pending?.kind === 'evacuation') return 'REBUILD';
  return server.status;
}

function taskState(server) {
  if (server.pending?.kind === 'live-migration') return 'migrating';
  if (server.pending?.kind === 'evacuation') return 'rebuilding';
  return null;
}

/** Hosts the scheduler may pick: enabled, up nova-compute services with room (CPU 16:1, RAM 1.5:1). */
function schedule(state, server, exclude) {
  const cpuRatio = state.cpuAllocationRatio ?? 16;
  const ramRatio = state.ramAllocationRatio ?? 1.5;
  const candidates = [];
  for (const hypervisor of state.hypervisors) {
    const service = computeService(state, hypervisor.hostname);
    if (!service || service.disabled || serviceState(service) !== 'up' || hypervisor.hostname === exclude) continue;
    const placed = state.servers.filter((other) => other.host === hypervisor.hostname || other.pending?.target === hypervisor.hostname);
    const vcpusUsed = placed.reduce((sum, other) => sum + other.flavor.vcpus, 0);
    const ramUsed = placed.reduce((sum, other) => sum + other.flavor.ram, 0);
    const freeVcpus = hypervisor.vcpus * cpuRatio - vcpusUsed;
    const freeRam = hypervisor.memoryMb * ramRatio - ramUsed;
    if (freeVcpus >= server.flavor.vcpus && freeRam >= server.flavor.ram) candidates.push({ host: hypervisor.hostname, freeRam });
  }
  candidates.sort((a, b) => b.freeRam - a.freeRam || a.host.localeCompare(b.host));
  return candidates.map((candidate) => candidate.host);
}

function addMigration(state, server, type, source, dest, status) {
  const id = state.nextMigrationId ?? 1;
  state.nextMigrationId = id + 1;
  const at = nowIso(state);
  const migration = {
    id,
    uuid: randomUUID(),
    sourceNode: source,
    destNode: dest,
    sourceCompute: source,
    destCompute: dest,
    destHost: null,
    status,
    serverUuid: server.id,
    oldFlavor: server.flavor.id,
    newFlavor: server.flavor.id,
    type,
    createdAt: at,
    updatedAt: at,
  };
  state.migrations.push(migration);
  return migration;
}

/** Finishes asynchronous operations whose time has come. */
function settlePending(state) {
  const now = Date.now();
  for (const server of state.servers) {
    const pending = server.pending;
    if (!pending || pending.completeAt > now) continue;
    const migration = state.migrations.find((candidate) => candidate.id === pending.migrationId);
    if (migration) migration.updatedAt = nowIso(state);
    if (pending.error) {
      if (migration) migration.status = 'error';
    } else {
      server.host = pending.target;
      if (migration) migration.status = pending.kind === 'evacuation' ? 'done' : 'completed';
      if (pending.kind === 'evacuation') {
        server.status = 'ACTIVE';
        if (!state.sharedStorage) server.rebuiltFromImage = true;
      }
      server.updated = `${nowIso(state)}Z`;
    }
    if (pending.kind === 'live-migration') state.inflightMigrations = Math.max(0, (state.inflightMigrations ?? 1) - 1);
    server.pending = null;
  }
}

// ---- openstack ----------------------------------------------------------------------------------

const SERVICE_COLUMNS = ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At'];

function openstack(argv) {
  const global = [];
  while (argv[0]?.startsWith('--os-')) {
    global.push(argv.shift());
    if (!argv[0]?.startsWith('-') && !global.at(-1).includes('=')) global.push(argv.shift());
  }
  const apiVersion = global[global.indexOf('--os-compute-api-version') + 1];
  const state0 = peekState();
  if (state0.auth === 'bad-password') {
    return withState((state) => {
      record(state);
      throw httpError('The request you have made requires authentication.', 401);
    });
  }
  const [noun, verb, ...rest] = argv;
  const command = `${noun} ${verb}`;
  if (noun === 'compute' && verb === 'service') return computeServiceCommand(rest);
  if (command === 'server list') return serverList(rest);
  if (command === 'server show') return serverShow(rest);
  if (command === 'server migrate') return serverMigrate(rest);
  if (command === 'server create') return serverCreate(rest);
  if (command === 'image list') return imageList(rest);
  if (command === 'flavor list') return flavorList(rest);
  if (command === 'server delete') return serverDelete(rest);
  if (noun === 'server' && verb === 'migration' && rest[0] === 'list') return migrationList(rest.slice(1));
  if (command === 'hypervisor list') return hypervisorList(rest);
  if (command === 'hypervisor show') {
    if (apiVersion) throw new Exit(2, 'stand-in: hypervisor show with an older microversion is not implemented\n');
    return withState((state) => {
      record(state);
      throw new Exit(1, "expected string or bytes-like object, got 'NoneType'\n");
    });
  }
  if (command === 'endpoint list') return endpointList(rest);
  throw new Exit(2, `openstack: '${argv.join(' ')}' is not an openstack command. See 'openstack --help'.\n`);
}

function peekState() {
  return readState();
}

function computeServiceCommand(argv) {
  const [action, ...rest] = argv;
  if (action === 'list') {
    const options = parseOptions(rest, ['--long'], ['--host', '--service']);
    return withState((state) => {
      record(state);
      const long = options.flags.has('--long');
      const services = state.services.filter(
        (service) => (!options.values['--host'] || service.host === options.values['--host']) && (!options.values['--service'] || service.binary === options.values['--service']),
      );
      const columns = long ? [...SERVICE_COLUMNS, 'Disabled Reason', 'Forced Down'] : SERVICE_COLUMNS;
      const rows = services.map((service) => {
        const row = [service.id, service.binary, service.host, service.zone, service.disabled ? 'disabled' : 'enabled', serviceState(service), serviceUpdatedAt(state, service)];
        return long ? [...row, service.disabledReason ?? null, Boolean(service.forcedDown)] : row;
      });
      return emitList(options, columns, rows);
    });
  }
  if (action === 'set') {
    const options = parseOptions(rest, ['--enable', '--disable', '--up', '--down'], ['--disable-reason']);
    const has = (flag) => options.flags.has(flag);
    if (has('--enable') && has('--disable')) throw usage('argument --disable: not allowed with argument --enable');
    if (has('--up') && has('--down')) throw usage('argument --down: not allowed with argument --up');
    if (options.positionals.length !== 2) throw usage('the following arguments are required: <host>, <service>');
    const [host, binary] = options.positionals;
    return withState((state) => {
      record(state);
      const service = state.services.find((candidate) => candidate.host === host && candidate.binary === binary);
      if (!service) throw new Exit(1, `Compute service for host "${host}" and binary "${binary}" not found.\n`);
      const reason = options.values['--disable-reason'];
      if (reason !== undefined && !has('--disable')) throw new Exit(1, 'Cannot specify option --disable-reason without --disable specified.\n');
      if (has('--enable')) {
        service.disabled = false;
        service.disabledReason = null;
      }
      if (has('--disable')) {
        service.disabled = true;
        service.disabledReason = reason ?? null;
      }
      if (has('--down')) service.forcedDown = true;
      if (has('--up')) service.forcedDown = false;
      return '';
    });
  }
  throw new Exit(2, `openstack: 'compute service ${argv.join(' ')}' is not an openstack command. See 'openstack --help'.\n`);
}

function serverList(argv) {
  const options = parseOptions(argv, ['--all-projects', '--long'], ['--host', '--status', '--name']);
  return withState((state) => {
    record(state);
    const servers = state.servers
      .filter((server) => options.flags.has('--all-projects') || server.projectId === state.currentProject)
      .filter((server) => !options.values['--host'] || server.host === options.values['--host'])
      .filter((server) => !options.values['--status'] || serverStatus(server) === options.values['--status'].toUpperCase())
      .filter((server) => !options.values['--name'] || new RegExp(options.values['--name']).test(server.name))
      .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id.localeCompare(b.id)));
    if (options.flags.has('--long')) {
      // The real `--long` columns and their -f json keys (test/fixtures/openstack-cli/real-lab/).
      const columns = [
        'ID',
        'Name',
        'Status',
        'Task State',
        'Power State',
        'Networks',
        'Image Name',
        'Image ID',
        'Flavor',
        'Availability Zone',
        'Host',
        'Properties',
        'Host Status',
      ];
      const rows = servers.map((server) => {
        const view = serverView(state, server);
        return [
          server.id,
          server.name,
          serverStatus(server),
          view['OS-EXT-STS:task_state'],
          view['OS-EXT-STS:power_state'],
          server.addresses ?? {},
          server.image.name,
          server.image.id,
          server.flavor.name,
          'nova',
          server.host,
          {},
          view.host_status,
        ];
      });
      return emitList(options, columns, rows);
    }
    const columns = ['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor'];
    const rows = servers.map((server) => [server.id, server.name, serverStatus(server), server.addresses ?? {}, server.image.name, server.flavor.name]);
    return emitList(options, columns, rows);
  });
}

function serverShow(argv) {
  const options = parseOptions(argv, [], []);
  if (options.positionals.length !== 1) throw usage('the following arguments are required: <server>');
  return withState((state) => {
    record(state);
    const server = findServer(state, options.positionals[0]);
    return emitOne(options, serverView(state, server));
  });
}

/**
 * `server create --flavor F --image I --nic none [--wait] NAME`: scheduled like a migration target
 * (enabled, up, room by the allocation ratios); with --wait the result is shown as `server show`
 * shows it (results/22-hosts-rabbit-recovery.txt: `-f value -c status -c OS-EXT-SRV-ATTR:host`
 * prints the host, then the status: the keys' sorted order). No valid host: nova puts the server in
 * ERROR and OSC 6.0's --wait prints `Error creating server: NAME` on stderr, exit 1.
 */
function serverCreate(argv) {
  const options = parseOptions(argv, ['--wait'], ['--flavor', '--image', '--nic', '--network']);
  if (options.positionals.length !== 1) throw usage('the following arguments are required: <server-name>');
  if (!options.values['--flavor'] || !options.values['--image']) throw usage('the following arguments are required: --flavor, --image');
  const [name] = options.positionals;
  return withState((state) => {
    record(state);
    const flavors = { 'm1.tiny': { id: 1, name: 'm1.tiny', vcpus: 1, ram: 128, disk: 1 }, 'm1.small': { id: 2, name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 } };
    const flavor = flavors[options.values['--flavor']];
    if (!flavor) throw new Exit(1, `No Flavor found for ${options.values['--flavor']}\n`);
    if (options.values['--image'] !== 'tiny-raw') throw new Exit(1, `No Image found for ${options.values['--image']}\n`);
    const index = 100 + state.servers.length + (state.calls?.length ?? 0);
    const hex = (index % 256).toString(16).padStart(2, '0');
    const at = nowIso(state);
    const server = {
      id: randomUUID(),
      name,
      hostname: name.toLowerCase(),
      status: 'ACTIVE',
      host: null,
      projectId: state.currentProject,
      userId: '5db51ec221d844c1a4cc7be7d509a4e2',
      flavor,
      image: { name: 'tiny-raw', id: '271808d7-18a3-4bc3-a39a-401679391358' },
      addresses: {},
      created: at,
      updated: at,
      launchedAt: at.replace('Z', '.000000'),
      instanceName: `instance-000001${hex}`,
      reservationId: `r-${hex}smoke${hex}`,
      pending: null,
    };
    const [host] = schedule(state, server);
    if (!host) {
      server.status = 'ERROR';
      state.servers.push(server);
      if (options.flags.has('--wait')) throw new Exit(1, `Error creating server: ${name}\n`);
      return emitOne(options, serverView(state, server));
    }
    server.host = host;
    state.servers.push(server);
    return emitOne(options, serverView(state, server));
  });
}

/** `image list [--status S]`: the lab's one image (OSC 6.0 image/v2 ListImage columns ID, Name, Status). */
function imageList(argv) {
  const options = parseOptions(argv, [], ['--status']);
  return withState((state) => {
    record(state);
    const images = [['271808d7-18a3-4bc3-a39a-401679391358', 'tiny-raw', 'active']];
    return emitList(
      options,
      ['ID', 'Name', 'Status'],
      images.filter((image) => !options.values['--status'] || image[2] === options.values['--status']),
    );
  });
}

/** `flavor list`: m1.tiny and m1.small as the lab creates them (OSC 6.0 ListFlavor columns). */
function flavorList(argv) {
  const options = parseOptions(argv, [], []);
  return withState((state) => {
    record(state);
    return emitList(
      options,
      ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public'],
      [
        ['1', 'm1.tiny', 128, 1, 0, 1, true],
        ['2', 'm1.small', 2048, 20, 0, 1, true],
      ],
    );
  });
}

/** `server delete [--wait] SERVER...`: prints nothing; an unknown server: errors.txt's message. */
function serverDelete(argv) {
  const options = parseOptions(argv, ['--wait'], []);
  if (options.positionals.length === 0) throw usage('the following arguments are required: <server>');
  return withState((state) => {
    record(state);
    for (const reference of options.positionals) {
      const server = findServer(state, reference);
      state.servers = state.servers.filter((candidate) => candidate !== server);
    }
    return '';
  });
}

function serverView(state, server) {
  const host = server.host;
  return {
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': 'nova',
    'OS-EXT-SRV-ATTR:host': host,
    'OS-EXT-SRV-ATTR:hostname': server.hostname,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': host,
    'OS-EXT-SRV-ATTR:instance_name': server.instanceName,
    'OS-EXT-SRV-ATTR:kernel_id': '',
    'OS-EXT-SRV-ATTR:launch_index': 0,
    'OS-EXT-SRV-ATTR:ramdisk_id': '',
    'OS-EXT-SRV-ATTR:reservation_id': server.reservationId,
    'OS-EXT-SRV-ATTR:root_device_name': '/dev/sda',
    'OS-EXT-SRV-ATTR:user_data': null,
    'OS-EXT-STS:power_state': server.status === 'SHUTOFF' ? 4 : 1,
    'OS-EXT-STS:task_state': taskState(server),
    'OS-EXT-STS:vm_state': server.status === 'SHUTOFF' ? 'stopped' : server.status.toLowerCase(),
    'OS-SRV-USG:launched_at': server.launchedAt,
    'OS-SRV-USG:terminated_at': null,
    accessIPv4: '',
    accessIPv6: '',
    addresses: server.addresses ?? {},
    config_drive: '',
    created: server.created,
    description: null,
    flavor: {
      vcpus: server.flavor.vcpus,
      ram: server.flavor.ram,
      disk: server.flavor.disk,
      ephemeral: 0,
      swap: 0,
      original_name: server.flavor.name,
      extra_specs: {},
    },
    hostId: host
      ? createHash('sha224')
          .update(server.projectId + host)
          .digest('hex')
      : '',
    host_status: hostStatus(state, host),
    id: server.id,
    image: `${server.image.name} (${server.image.id})`,
    key_name: null,
    locked: false,
    locked_reason: null,
    name: server.name,
    progress: 0,
    project_id: server.projectId,
    properties: {},
    server_groups: [],
    status: serverStatus(server),
    tags: [],
    trusted_image_certificates: null,
    updated: server.updated,
    user_id: server.userId,
    volumes_attached: [],
  };
}

function serverMigrate(argv) {
  const options = parseOptions(argv, ['--live-migration', '--block-migration', '--shared-migration', '--wait', '--disk-overcommit', '--no-disk-overcommit'], ['--host']);
  if (options.positionals.length !== 1) throw usage('the following arguments are required: <server>');
  if (!options.flags.has('--live-migration')) throw new Exit(2, 'stand-in: only live migration (--live-migration) is implemented\n');
  if (options.flags.has('--block-migration') && options.flags.has('--shared-migration')) {
    throw usage('argument --shared-migration: not allowed with argument --block-migration');
  }
  const blockMigration = options.flags.has('--block-migration') ? true : options.flags.has('--shared-migration') ? false : 'auto';
  const started = withState((state) => {
    record(state);
    const server = findServer(state, options.positionals[0]);
    if (!['ACTIVE', 'PAUSED'].includes(serverStatus(server))) {
      const vmState = server.pending ? server.status.toLowerCase() : server.status === 'SHUTOFF' ? 'stopped' : server.status.toLowerCase();
      throw httpError(
        `Cannot 'os-migrateLive' instance ${server.id} while it is in ${server.pending ? 'task_state' : 'vm_state'} ${server.pending ? taskState(server) : vmState}`,
        409,
      );
    }
    const source = server.host;
    const sourceService = computeService(state, source);
    if (!sourceService || serviceState(sourceService) !== 'up') throw httpError('Service is unavailable at this time.', 409);
    const requested = options.values['--host'];
    if (requested && !computeService(state, requested)) throw httpError(`Compute host ${requested} could not be found.`, 400);
    let error = null;
    let target = requested ?? null;
    if (server.refuseMigration) error = 'refused';
    else if (blockMigration === false && !state.sharedStorage) error = 'not on shared storage';
    else if (blockMigration === true && state.sharedStorage) error = 'Block migration can not be used with shared storage.';
    else if (requested) {
      if (requested === source || !schedule(state, server, source).includes(requested)) error = 'No valid host was found.';
    } else {
      target = schedule(state, server, source)[0] ?? null;
      if (!target) error = 'No valid host was found.';
    }
    const migration = addMigration(state, server, 'live-migration', source, target ?? source, error ? 'error' : 'running');
    if (error) {
      // Nova's pre-checks run in the conductor (microversion >= 2.34): the API accepted the request,
      // the migration record ends in error and the server stays where it was.
      migration.error = error;
      return { id: server.id, waitUntil: 0 };
    }
    const delay = state.migrationDelayMs ?? 200;
    server.pending = { kind: 'live-migration', target, migrationId: migration.id, completeAt: Date.now() + delay };
    state.inflightMigrations = (state.inflightMigrations ?? 0) + 1;
    state.maxInflightMigrations = Math.max(state.maxInflightMigrations ?? 0, state.inflightMigrations);
    return { id: server.id, waitUntil: Date.now() + delay };
  });
  if (!options.flags.has('--wait')) return '';
  // OSC polls `server show` until the status is ACTIVE again, then prints Complete.
  for (;;) {
    const remaining = started.waitUntil - Date.now();
    if (remaining > 0) sleepMs(Math.min(remaining, 50));
    const done = withState((state) => {
      const server = state.servers.find((candidate) => candidate.id === started.id);
      return !server || server.pending === null || server.pending === undefined;
    });
    if (done) return 'Complete\n';
  }
}

function migrationList(argv) {
  const options = parseOptions(argv, [], []);
  return withState((state) => {
    record(state);
    const columns = [
      'Id',
      'UUID',
      'Source Node',
      'Dest Node',
      'Source Compute',
      'Dest Compute',
      'Dest Host',
      'Status',
      'Server UUID',
      'Old Flavor',
      'New Flavor',
      'Type',
      'Created At',
      'Updated At',
    ];
    const rows = [...state.migrations]
      .sort((a, b) => b.id - a.id)
      .map((migration) => [
        migration.id,
        migration.uuid,
        migration.sourceNode,
        migration.destNode,
        migration.sourceCompute,
        migration.destCompute,
        migration.destHost,
        migration.status,
        migration.serverUuid,
        migration.oldFlavor,
        migration.newFlavor,
        migration.type,
        microseconds(migration.createdAt),
        microseconds(migration.updatedAt),
      ]);
    return emitList(options, columns, rows);
  });
}

function hypervisorList(argv) {
  const options = parseOptions(argv, [], []);
  return withState((state) => {
    record(state);
    const columns = ['ID', 'Hypervisor Hostname', 'Hypervisor Type', 'Host IP', 'State'];
    const rows = state.hypervisors.map((hypervisor) => {
      const service = computeService(state, hypervisor.hostname);
      return [hypervisor.id, hypervisor.hostname, hypervisor.type, hypervisor.hostIp, service ? serviceState(service) : 'down'];
    });
    return emitList(options, columns, rows);
  });
}

function endpointList(argv) {
  const options = parseOptions(argv, [], ['--service', '--interface', '--region']);
  return withState((state) => {
    record(state);
    const columns = ['ID', 'Region', 'Service Name', 'Service Type', 'Enabled', 'Interface', 'URL'];
    const rows = (state.endpoints ?? [])
      .filter((endpoint) => !options.values['--service'] || [endpoint.serviceName, endpoint.serviceType, endpoint.serviceId].includes(options.values['--service']))
      .filter((endpoint) => !options.values['--interface'] || endpoint.interface === options.values['--interface'])
      .filter((endpoint) => !options.values['--region'] || endpoint.region === options.values['--region'])
      .map((endpoint) => [endpoint.id, endpoint.region, endpoint.serviceName, endpoint.serviceType, endpoint.enabled !== false, endpoint.interface, endpoint.url]);
    return emitList(options, columns, rows);
  });
}

// ---- nova (novaclient) --------------------------------------------------------------------------

function nova(argv) {
  const deprecation = 'nova CLI is deprecated and will be removed in a future release\n';
  const [command, ...rest] = argv;
  try {
    if (command !== 'evacuate') throw new Exit(2, `stand-in: nova ${command ?? ''} is not implemented (only nova evacuate)\n`);
    const positionals = [];
    for (let index = 0; index < rest.length; index++) {
      if (rest[index] === '--password') index++;
      else if (rest[index] === '--on-shared-storage') {
        throw new Exit(
          2,
          "usage: nova evacuate [--password <password>] <server> [<host>]\nerror: unrecognized arguments: --on-shared-storage\nTry 'nova help evacuate' for more information.\n",
        );
      } else positionals.push(rest[index]);
    }
    if (positionals.length < 1 || positionals.length > 2)
      throw new Exit(2, 'usage: nova evacuate [--password <password>] <server> [<host>]\nerror: the following arguments are required: <server>\n');
    const [reference, requested] = positionals;
    return withState((state) => {
      record(state);
      let server;
      try {
        server = findServer(state, reference);
      } catch (error) {
        throw new Exit(1, `ERROR (CommandError): ${error.stderr.trim()}\n`);
      }
      const novaError = (klass, message, code) => new Exit(1, `ERROR (${klass}): ${message} (HTTP ${code}) (Request-ID: ${requestId()})\n`);
      if (!['ACTIVE', 'SHUTOFF', 'ERROR'].includes(serverStatus(server))) {
        throw novaError('Conflict', `Cannot 'evacuate' instance ${server.id} while it is in task_state ${taskState(server) ?? server.status.toLowerCase()}`, 409);
      }
      const source = server.host;
      if (requested && requested === source) throw novaError('BadRequest', "The target host can't be the same one.", 400);
      if (requested && !computeService(state, requested)) throw novaError('NotFound', `Compute host ${requested} could not be found.`, 404);
      const sourceService = computeService(state, source);
      if (sourceService && serviceState(sourceService) === 'up') throw novaError('BadRequest', `Compute service of ${source} is still in use.`, 400);
      let target = requested ?? schedule(state, server, source)[0] ?? null;
      let error = null;
      if (requested && !schedule(state, server, source).includes(requested)) error = 'No valid host was found.';
      if (!target) {
        error = 'No valid host was found.';
        target = source;
      }
      const migration = addMigration(state, server, 'evacuation', source, target, error ? 'error' : 'accepted');
      if (error) {
        migration.error = error;
        return '';
      }
      server.pending = { kind: 'evacuation', target, migrationId: migration.id, completeAt: Date.now() + (state.evacuateDelayMs ?? 200) };
      return '';
    });
  } catch (error) {
    if (error instanceof Exit) throw new Exit(error.code, deprecation + error.stderr, error.stdout);
    throw error;
  }
}

// ---- service (systemctl) -----------------------------------------------------------------------

function service(argv) {
  const [action, ...words] = argv;
  const units = action === 'list-unit-files' ? [] : words;
  if (action === 'list-unit-files') {
    const unknown = words.filter((word) => !['--type=service', '--no-legend', '--plain', '--no-pager'].includes(word));
    if (unknown.length > 0) throw new Exit(2, `stand-in: service list-unit-files ${unknown.join(' ')} is not implemented\n`);
  } else if (!['start', 'stop', 'restart', 'is-active'].includes(action) || units.length === 0) {
    throw new Exit(2, `stand-in: service ${argv.join(' ')}: expected start|stop|restart|is-active UNIT... or list-unit-files\n`);
  }
  const host = os.hostname();
  return withState((state) => {
    record(state);
    state.units ??= {};
    state.units[host] ??= {};
    const computeUnit = state.novaComputeUnit ?? 'openstack-nova-compute';
    const installed = state.unitFiles?.[host];
    if (action === 'list-unit-files') {
      const rows = (installed ?? [])
        .slice()
        .sort()
        .map((unit) => [`${unit}.service`, 'enabled', 'enabled']);
      const legend = !words.includes('--no-legend');
      const table = legend ? [['UNIT FILE', 'STATE', 'PRESET'], ...rows] : rows;
      const widths = [0, 1].map((column) => Math.max(0, ...table.map((row) => row[column].length)));
      let out = table.map((row) => `${row[0].padEnd(widths[0])} ${row[1].padEnd(widths[1])} ${row[2]}\n`).join('');
      if (legend) out += `\n${rows.length} unit files listed.\n`;
      return out;
    }
    if (action !== 'is-active' && installed) {
      const missing = units.find((unit) => !installed.includes(unit));
      if (missing) {
        const verb = action === 'stop' ? 'stop' : action === 'restart' ? 'restart' : 'start';
        throw new Exit(5, `Failed to ${verb} ${missing}.service: Unit ${missing}.service ${action === 'stop' ? 'not loaded' : 'not found'}.\n`);
      }
    }
    if (action === 'is-active') {
      const lines = units.map((unit) => state.units[host][unit] ?? 'inactive');
      const out = lines.join('\n') + '\n';
      if (lines.some((line) => line !== 'active')) throw new Exit(3, '', out);
      return out;
    }
    for (const unit of units) {
      if ((action === 'stop' || action === 'restart') && state.unstoppable?.includes(`${host}:${unit}`)) {
        throw new Exit(1, `Job for ${unit}.service failed.\nSee "systemctl status ${unit}.service" and "journalctl -xeu ${unit}.service" for details.\n`);
      }
      state.units[host][unit] = action === 'stop' ? 'inactive' : 'active';
      if (unit === computeUnit) {
        const nova = computeService(state, host);
        if (nova) nova.running = action !== 'stop';
      }
    }
    return '';
  });
}

// ---- rabbitmqctl, mysql, mysqlcheck, mysqldump, *-manage, packages -----------------------------

function rabbitmqctl(argv) {
  return withState((state) => {
    record(state);
    const words = argv.filter((arg) => !arg.startsWith('-'));
    if (words[0] === 'list_queues' && words.slice(1).join(' ') === 'name messages consumers') {
      const queues = state.queues ?? [];
      return `Timeout: 60.0 seconds ...\nListing queues for vhost / ...\nname\tmessages\tconsumers\n${queues.map((queue) => queue.join('\t') + '\n').join('')}`;
    }
    throw new Exit(64, `stand-in: rabbitmqctl ${argv.join(' ')} is not implemented\n`);
  });
}

function mysql(argv) {
  const input = process.stdin.isTTY ? '' : readStdin();
  return withState((state) => {
    record(state);
    const execute = argv.indexOf('-e');
    if (execute >= 0) {
      const sql = argv[execute + 1] ?? '';
      if (/^SHOW DATABASES;?$/i.test(sql.trim())) return `Database\n${(state.databases ?? []).map((name) => `${name}\n`).join('')}`;
      if (/^SELECT 1;?$/i.test(sql.trim())) return '1\n1\n';
      throw new Exit(64, `stand-in: mysql -e ${sql} is not implemented\n`);
    }
    state.restored ??= [];
    state.restored.push({ args: argv, bytes: input.length, firstLine: input.split('\n')[0] });
    return '';
  });
}

function readStdin() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function mysqlcheck(argv) {
  return withState((state) => {
    record(state);
    const databases = argv.includes('--databases') ? argv.filter((arg) => !arg.startsWith('-')) : Object.keys(state.tables ?? {});
    let out = '';
    for (const database of databases) {
      for (const table of state.tables?.[database] ?? []) {
        const status = state.corruptTables?.includes(`${database}.${table}`) ? 'error    : Table is marked as crashed' : 'OK';
        out += `${`${database}.${table}`.padEnd(50)}${status}\n`;
      }
    }
    return out;
  });
}

function mysqldump(argv) {
  return withState((state) => {
    record(state);
    const databases = argv.includes('--all-databases') ? (state.databases ?? []) : argv.filter((arg) => !arg.startsWith('-'));
    const at = new Date().toISOString().slice(0, 19).replace('T', ' ');
    let out =
      '-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n--\n-- Host: localhost    Database: \n-- ------------------------------------------------------\n-- Server version\t10.11.6-MariaDB-0+deb12u1\n';
    for (const database of databases) out += `\n--\n-- Current Database: \`${database}\`\n--\n\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ \`${database}\`;\n`;
    out += `-- Dump completed on ${at}\n`;
    return out;
  });
}

function manage() {
  return withState((state) => {
    record(state);
    return '';
  });
}

function packages(argv) {
  const [action] = argv;
  const input = action === 'install-versions' ? readStdin() : '';
  const host = os.hostname();
  return withState((state) => {
    record(state);
    state.packages ??= {};
    const installed = (state.packages[host] ??= {});
    if (action === 'list') {
      return Object.keys(installed)
        .sort()
        .map((name) => `${name} ${installed[name].version}\n`)
        .join('');
    }
    if (action === 'simulate') {
      // apt-get -s -o Dpkg::Options::=--force-confold dist-upgrade, as apt 2.6 prints it (as root:
      // no "NOTE: This is only a simulation!" banner); nothing changes.
      const names = Object.keys(installed)
        .sort()
        .filter((name) => installed[name].available && installed[name].available !== installed[name].version);
      let out = 'Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n';
      if (names.length > 0) out += `The following packages will be upgraded:\n  ${names.join(' ')}\n`;
      out += `${names.length} upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n`;
      for (const name of names) out += `Inst ${name} [${installed[name].version}] (${installed[name].available} Debian:12.8/stable [all])\n`;
      for (const name of names) out += `Conf ${name} (${installed[name].available} Debian:12.8/stable [all])\n`;
      return out;
    }
    if (action === 'upgrade') {
      for (const entry of Object.values(installed)) {
        if (entry.available) entry.version = entry.available;
        entry.configKept = true;
      }
      return '';
    }
    if (action === 'install-versions') {
      for (const line of input.split('\n')) {
        const [name, version] = line.trim().split(/\s+/);
        if (!name) continue;
        if (!installed[name]) throw new Exit(100, `E: Unable to locate package ${name}\n`);
        installed[name].version = version;
      }
      return '';
    }
    throw new Exit(2, `stand-in: packages ${argv.join(' ')} is not implemented\n`);
  });
}

// ---- main ---------------------------------------------------------------------------------------

function main() {
  if (!STATE_FILE) throw new Exit(2, 'stand-in: OPSDECK_STANDIN_STATE is not set\n');
  switch (tool) {
    case 'openstack':
      return openstack([...args]);
    case 'nova':
      return nova([...args]);
    case 'service':
      return service(args);
    case 'rabbitmqctl':
      return rabbitmqctl(args);
    case 'mysql':
      return mysql(args);
    case 'mysqlcheck':
      return mysqlcheck(args);
    case 'mysqldump':
      return mysqldump(args);
    case 'manage':
      return manage();
    case 'packages':
      return packages(args);
    default:
      throw new Exit(2, `stand-in: unknown tool ${tool}\n`);
  }
}

try {
  const out = main();
  if (tool === 'nova') process.stderr.write('nova CLI is deprecated and will be removed in a future release\n');
  process.stdout.write(out ?? '');
  process.exitCode = 0;
} catch (error) {
  if (error instanceof Exit) {
    if (error.stdout) process.stdout.write(error.stdout);
    if (error.stderr) process.stderr.write(error.stderr);
    process.exitCode = error.code;
  } else {
    process.stderr.write(`stand-in internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  }
}
