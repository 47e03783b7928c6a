/**
 * `systemctl` of the real lab's SSH hosts (there is no systemd here). Bind-mounted over
 * /usr/bin/systemctl inside each host's mount namespace, as `systemctl <args>` → node systemctl.mjs
 * <host> <args>. It maps the host's units (units.ts) to the lab's start and stop of the real daemons
 * (daemons.ts), and prints what systemd 252 prints for the verbs runbooks use: start, stop, restart,
 * try-restart, reload(-or-restart), status, is-active, is-failed, is-enabled, kill, show,
 * list-units, list-unit-files; enable, disable, daemon-reload, reset-failed and mask are accepted.
 * State-changing verbs need root, as systemctl without polkit does. Every call is logged to
 * <state>/log/systemctl.log.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { beamPid, failedResult, mainPid, markFailed, memberPids, processTable, running, signal, startMember, stopMember } from './daemons';
import { findUnit, hostUnits, LAB_HOST_NAMES, logDir, member, type LabConfig, type LabHostName, type Unit } from './units';

interface Options {
  quiet: boolean;
  all: boolean;
  noLegend: boolean;
  plain: boolean;
  value: boolean;
  lines: number;
  signal: string;
  properties: string[];
  types: string[];
  states: string[];
}

type Out = { out: (text: string) => void; err: (text: string) => void };

const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2', 'TERM', 'CONT', 'STOP', 'ABRT', 'SEGV']);

function parseSignal(text: string): string {
  const bare = text.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(bare)) {
    const byNumber: Record<string, string> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 6: 'ABRT', 9: 'KILL', 10: 'USR1', 11: 'SEGV', 12: 'USR2', 15: 'TERM', 18: 'CONT', 19: 'STOP' };
    if (byNumber[bare]) return byNumber[bare];
  }
  if (!SIGNALS.has(bare)) throw new Error(`Failed to parse signal string ${text}.`);
  return bare;
}

export async function systemctl(config: LabConfig, host: LabHostName, argv: string[], io: Out, uid = process.getuid?.() ?? 0): Promise<number> {
  const options: Options = { quiet: false, all: false, noLegend: false, plain: false, value: false, lines: 10, signal: 'TERM', properties: [], types: [], states: [] };
  const words: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const next = () => argv[++index] ?? '';
    if (arg === '-q' || arg === '--quiet') options.quiet = true;
    else if (arg === '-a' || arg === '--all') options.all = true;
    else if (arg === '--no-legend' || arg === '--legend=no' || arg === '--legend=false') options.noLegend = true;
    else if (arg === '--plain') options.plain = true;
    else if (arg === '--value') options.value = true;
    else if (arg === '-s' || arg === '--signal') options.signal = parseSignal(next());
    else if (arg.startsWith('--signal=')) options.signal = parseSignal(arg.slice('--signal='.length));
    else if (arg === '-n' || arg === '--lines') options.lines = Number(next());
    else if (arg.startsWith('--lines=')) options.lines = Number(arg.slice('--lines='.length));
    else if (arg === '-p' || arg === '--property') options.properties.push(...next().split(','));
    else if (arg.startsWith('--property=')) options.properties.push(...arg.slice('--property='.length).split(','));
    else if (arg === '-t' || arg === '--type') options.types.push(...next().split(','));
    else if (arg.startsWith('--type=')) options.types.push(...arg.slice('--type='.length).split(','));
    else if (arg === '--state') options.states.push(...next().split(','));
    else if (arg.startsWith('--state=')) options.states.push(...arg.slice('--state='.length).split(','));
    else if (arg === '--kill-whom' || arg === '--kill-who') next();
    else if (
      ['--no-pager', '--full', '-l', '--no-block', '--no-ask-password', '--system', '--now', '--kill-whom=all', '--kill-whom=main', '--kill-who=all', '--kill-who=main'].includes(
        arg,
      )
    )
      continue;
    else if (arg === '--version') {
      io.out(
        'systemd 252 (252.39-1~deb12u1)\n+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified\n',
      );
      return 0;
    } else if (arg.startsWith('-')) {
      io.err(`systemctl: unrecognized option '${arg}'\n`);
      return 1;
    } else words.push(arg);
  }
  const verb = words[0] ?? 'list-units';
  const names = words.slice(1);
  const tooFew = [
    'start',
    'stop',
    'restart',
    'try-restart',
    'reload',
    'reload-or-restart',
    'try-reload-or-restart',
    'condrestart',
    'force-reload',
    'kill',
    'is-active',
    'is-failed',
    'is-enabled',
    'enable',
    'disable',
    'mask',
    'unmask',
  ];
  if (tooFew.includes(verb) && names.length === 0) {
    io.err('Too few arguments.\n');
    return 1;
  }

  switch (verb) {
    case 'list-units':
      return listUnits(config, host, names, options, io);
    case 'list-unit-files':
      return listUnitFiles(host, names, options, io);
    case 'daemon-reload':
    case 'daemon-reexec':
      return uid === 0 ? 0 : accessDenied(io, 'reload daemon', '');
    case 'status':
      return status(config, host, names, options, io);
    case 'is-active':
    case 'is-failed': {
      let matched = false;
      for (const name of names) {
        const unit = findUnit(host, name);
        const state = unit ? unitState(config, unit).active : 'inactive';
        if (!options.quiet) io.out(`${state}\n`);
        if (verb === 'is-active' ? state === 'active' : state === 'failed') matched = true;
      }
      return matched ? 0 : verb === 'is-active' ? 3 : 1;
    }
    case 'is-enabled': {
      let code = 0;
      for (const name of names) {
        const unit = findUnit(host, name);
        if (!unit) {
          io.err(`Failed to get unit file state for ${withService(name)}: No such file or directory\n`);
          code = 1;
        } else if (!options.quiet) io.out(isAlias(unit, name) ? 'alias\n' : 'enabled\n');
      }
      return code;
    }
    case 'enable':
    case 'disable':
    case 'reenable':
    case 'mask':
    case 'unmask':
    case 'reset-failed': {
      for (const name of names) {
        const unit = findUnit(host, name);
        if (!unit) {
          io.err(
            verb === 'reset-failed'
              ? `Failed to reset failed state of unit ${withService(name)}: Unit ${withService(name)} not loaded.\n`
              : `Failed to ${verb} unit: Unit file ${withService(name)} does not exist.\n`,
          );
          return 1;
        }
        if (uid !== 0) return accessDenied(io, verb, unit.name);
        if (verb === 'reset-failed') for (const memberName of unit.members) markCleared(config, memberName);
      }
      return 0;
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'try-restart':
    case 'condrestart':
    case 'reload':
    case 'reload-or-restart':
    case 'try-reload-or-restart':
    case 'force-reload':
      return control(config, host, verb, names, uid, io);
    case 'kill':
      return kill(config, host, names, options, uid, io);
    case 'show':
      return show(config, host, names, options, io);
    case 'cat':
      for (const name of names) {
        const unit = findUnit(host, name);
        if (!unit) {
          io.err(`No files found for ${withService(name)}.\n`);
          return 1;
        }
        io.out(unitFile(config, unit));
      }
      return 0;
    default:
      io.err(`Unknown command verb '${verb}'.\n`);
      return 1;
  }
}

function withService(name: string): string {
  return name.endsWith('.service') ? name : `${name}.service`;
}

function isAlias(unit: Unit, name: string): boolean {
  return unit.aliases.includes(name.replace(/\.service$/, ''));
}

function accessDenied(io: Out, verb: string, unit: string): number {
  io.err(unit ? `Failed to ${verb} ${unit}.service: Access denied\nSee system logs and 'systemctl status ${unit}.service' for details.\n` : `Failed to ${verb}: Access denied\n`);
  return 1;
}

function markCleared(config: LabConfig, name: Unit['members'][number]): void {
  // reset-failed (and a stop) forget the result; a stopped unit is then inactive.
  rmSync(`${config.run}/failed/${name}`, { force: true });
}

interface UnitState {
  active: 'active' | 'inactive' | 'failed';
  sub: 'running' | 'dead' | 'failed';
  result?: string;
  mainPid?: number;
}

function unitState(config: LabConfig, unit: Unit): UnitState {
  const table = processTable();
  for (const name of unit.members) {
    if (running(config, name, table)) {
      const pid = name === 'rabbitmq' ? beamPid(config, table) : mainPid(config, name, table);
      return { active: 'active', sub: 'running', mainPid: pid };
    }
  }
  for (const name of unit.members) {
    const result = failedResult(config, name);
    if (result) return { active: 'failed', sub: 'failed', result };
    // A PID file whose process is gone: the daemon exited on its own.
    if (existsSync(`${config.run}/pids/${name}.pid`)) return { active: 'failed', sub: 'failed', result: 'exit-code' };
  }
  return { active: 'inactive', sub: 'dead' };
}

function unitFile(config: LabConfig, unit: Unit): string {
  const start = unit.members.map((name) => member(config, name).argv.join(' '));
  return [
    `# /lib/systemd/system/${unit.name}.service`,
    '[Unit]',
    `Description=${unit.description}`,
    '',
    '[Service]',
    ...start.map((line) => `ExecStart=${line}`),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    ...unit.aliases.map((alias) => `Alias=${alias}.service`),
    '',
  ].join('\n');
}

function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function matchesAny(name: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => glob(withService(pattern)).test(name) || glob(pattern).test(name));
}

function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => (indent + row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join(' ')).trimEnd());
}

function typeAllowed(options: Options): boolean {
  return options.types.length === 0 || options.types.includes('service');
}

function listUnits(config: LabConfig, host: LabHostName, patterns: string[], options: Options, io: Out): number {
  const rows: Array<{ bullet: string; cells: string[] }> = [];
  if (typeAllowed(options)) {
    for (const unit of hostUnits(host)) {
      const name = `${unit.name}.service`;
      if (!matchesAny(name, patterns)) continue;
      const state = unitState(config, unit);
      const shown = options.all || state.active !== 'inactive' || options.states.includes('inactive') || patterns.length > 0;
      if (!shown) continue;
      if (options.states.length > 0 && !options.states.some((wanted) => [state.active, state.sub, 'loaded'].includes(wanted))) continue;
      rows.push({ bullet: state.active === 'failed' && !options.plain ? '●' : ' ', cells: [name, 'loaded', state.active, state.sub, unit.description] });
    }
  }
  const lines: string[] = [];
  if (!options.noLegend) {
    const all = [['UNIT', 'LOAD', 'ACTIVE', 'SUB', 'DESCRIPTION'], ...rows.map((row) => row.cells)];
    const formatted = table(all);
    lines.push(`  ${formatted[0]}`);
    rows.forEach((row, index) => lines.push(`${row.bullet} ${formatted[index + 1]}`));
    if (rows.length > 0) lines.push('');
    lines.push(
      'LOAD   = Reflects whether the unit definition was properly loaded.',
      'ACTIVE = The high-level unit activation state, i.e. generalization of SUB.',
      'SUB    = The low-level unit activation state, values depend on unit type.',
    );
    lines.push(options.all ? `${rows.length} loaded units listed.` : `${rows.length} loaded units listed. Pass --all to see loaded but inactive units, too.`);
    lines.push("To show all installed unit files use 'systemctl list-unit-files'.");
  } else if (rows.length > 0) {
    const formatted = table(rows.map((row) => row.cells));
    rows.forEach((row, index) => lines.push(`${row.bullet} ${formatted[index]}`));
  }
  if (lines.length > 0) io.out(lines.join('\n') + '\n');
  return 0;
}

function listUnitFiles(host: LabHostName, patterns: string[], options: Options, io: Out): number {
  const rows: string[][] = [];
  if (typeAllowed(options)) {
    const files: Array<[string, string, string]> = [];
    for (const unit of hostUnits(host)) {
      files.push([`${unit.name}.service`, 'enabled', 'enabled']);
      for (const alias of unit.aliases) files.push([`${alias}.service`, 'alias', '-']);
    }
    files.sort((a, b) => a[0].localeCompare(b[0]));
    for (const file of files) {
      if (!matchesAny(file[0], patterns)) continue;
      if (options.states.length > 0 && !options.states.includes(file[1])) continue;
      rows.push(file);
    }
  }
  const lines: string[] = [];
  if (!options.noLegend) {
    lines.push(...table([['UNIT FILE', 'STATE', 'VENDOR PRESET'], ...rows]));
    lines.push('', `${rows.length} unit files listed.`);
  } else if (rows.length > 0) lines.push(...table(rows));
  if (lines.length > 0) io.out(lines.join('\n') + '\n');
  return 0;
}

function since(pid: number): { date: Date; ago: string } {
  const started = statSync(`/proc/${pid}`).mtime;
  const seconds = Math.max(0, Math.round((Date.now() - started.getTime()) / 1000));
  const ago =
    seconds < 60
      ? `${seconds}s ago`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)}min ${seconds % 60}s ago`
        : `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}min ago`;
  return { date: started, ago };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (value: number) => String(value).padStart(2, '0');

function longDate(date: Date): string {
  return `${DAYS[date.getUTCDay()]} ${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC`;
}

function journalDate(date: Date): string {
  return `${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function status(config: LabConfig, host: LabHostName, names: string[], options: Options, io: Out): number {
  if (names.length === 0) {
    io.out(`● ${host}\n    State: running\n    Units: ${hostUnits(host).length} loaded (incl. loaded aliases)\n     Jobs: 0 queued\n   Failed: 0 units\n`);
    return 0;
  }
  let code = 0;
  let first = true;
  for (const name of names) {
    const unit = findUnit(host, name);
    if (!unit) {
      io.err(`Unit ${withService(name)} could not be found.\n`);
      code = 4;
      continue;
    }
    if (!first) io.out('\n');
    first = false;
    const state = unitState(config, unit);
    const lines: string[] = [];
    const bullet = state.active === 'active' ? '●' : state.active === 'failed' ? '×' : '○';
    lines.push(`${bullet} ${unit.name}.service - ${unit.description}`);
    lines.push(`     Loaded: loaded (/lib/systemd/system/${unit.name}.service; enabled; preset: enabled)`);
    let pid = state.mainPid;
    if (state.active === 'active' && pid) {
      const started = since(pid);
      lines.push(`     Active: active (running) since ${longDate(started.date)}; ${started.ago}`);
      lines.push(`   Main PID: ${pid} (${comm(pid)})`);
      const pids = unit.members.flatMap((memberName) => memberPids(config, memberName)).sort((a, b) => a - b);
      let tasks = 0;
      let rss = 0;
      for (const each of pids) {
        try {
          const statusText = readFileSync(`/proc/${each}/status`, 'utf8');
          tasks += Number(/Threads:\s+(\d+)/.exec(statusText)?.[1] ?? 0);
          rss += Number(/VmRSS:\s+(\d+)/.exec(statusText)?.[1] ?? 0);
        } catch {
          // Gone meanwhile.
        }
      }
      lines.push(`      Tasks: ${tasks} (limit: 4915)`);
      lines.push(`     Memory: ${(rss / 1024).toFixed(1)}M`);
      lines.push(`     CGroup: /system.slice/${unit.name}.service`);
      pids.forEach((each, index) => lines.push(`             ${index === pids.length - 1 ? '└─' : '├─'}${each} ${cmdline(each).slice(0, 110)}`));
    } else if (state.active === 'failed') {
      lines.push(`     Active: failed (Result: ${state.result ?? 'exit-code'})`);
    } else {
      lines.push('     Active: inactive (dead)');
    }
    if (options.lines > 0) {
      const log = member(config, unit.members[0]).log;
      if (existsSync(log)) {
        pid ??= 0;
        const tail = readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(-options.lines);
        if (tail.length > 0) lines.push('');
        for (const line of tail) {
          const stamp = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)/.exec(line);
          const date = stamp ? new Date(Date.UTC(+stamp[1], +stamp[2] - 1, +stamp[3], +stamp[4], +stamp[5], +stamp[6])) : new Date();
          lines.push(`${journalDate(date)} ${host} ${unit.name}[${pid}]: ${line.slice(0, 200)}`);
        }
      }
    }
    io.out(lines.join('\n') + '\n');
    if (state.active !== 'active') code = code || 3;
  }
  return code;
}

async function control(config: LabConfig, host: LabHostName, verb: string, names: string[], uid: number, io: Out): Promise<number> {
  const units: Unit[] = [];
  for (const name of names) {
    const unit = findUnit(host, name);
    if (!unit) {
      io.err(`Failed to ${verb} ${withService(name)}: Unit ${withService(name)} not found.\n`);
      return 5;
    }
    units.push(unit);
  }
  if (uid !== 0) return accessDenied(io, verb, units[0].name);
  const log = (line: string) => appendFileSync(`${logDir(config)}/systemctl.log`, `${new Date().toISOString()} ${host} ${line}\n`);
  let code = 0;
  for (const unit of units) {
    let action = verb;
    if (['reload', 'reload-or-restart', 'force-reload'].includes(verb)) action = 'restart';
    if (['try-restart', 'condrestart', 'try-reload-or-restart'].includes(verb)) {
      if (unitState(config, unit).active !== 'active') continue;
      action = 'restart';
    }
    if (action === 'stop' || action === 'restart') {
      // The lab's one fault switch (lab.ts breakStop): a unit whose stop job fails, as when its
      // ExecStop fails; nothing of it is stopped.
      const stuck = unit.members.find((name) => existsSync(`${config.run}/faults/${name}.stop`));
      if (stuck) {
        log(`stop ${stuck} refused: fault switch ${config.run}/faults/${stuck}.stop`);
        io.err(
          `Job for ${unit.name}.service failed because the control process exited with error code.\nSee "systemctl status ${unit.name}.service" and "journalctl -xeu ${unit.name}.service" for details.\n`,
        );
        return 1;
      }
      for (const name of [...unit.members].reverse()) {
        try {
          await stopMember(config, name, { log });
          markCleared(config, name);
        } catch (error) {
          io.err(`Job for ${unit.name}.service failed.\n`);
          log(`stop ${name} failed: ${(error as Error).message}`);
          return 1;
        }
      }
    }
    if (action === 'start' || action === 'restart') {
      for (const name of unit.members) {
        try {
          await startMember(config, name, { log });
        } catch (error) {
          log(`start ${name} failed: ${(error as Error).message}`);
          markFailed(config, name, 'exit-code');
          io.err(
            `Job for ${unit.name}.service failed because the control process exited with error code.\nSee "systemctl status ${unit.name}.service" and "journalctl -xeu ${unit.name}.service" for details.\n`,
          );
          code = 1;
        }
      }
    }
  }
  return code;
}

async function kill(config: LabConfig, host: LabHostName, names: string[], options: Options, uid: number, io: Out): Promise<number> {
  for (const name of names) {
    const unit = findUnit(host, name);
    if (!unit) {
      io.err(`Failed to kill unit ${withService(name)}: Unit ${withService(name)} not loaded.\n`);
      return 1;
    }
    if (uid !== 0) return accessDenied(io, 'kill', unit.name);
    for (const memberName of unit.members) {
      const pids = memberPids(config, memberName);
      for (const pid of pids) signal(pid, `SIG${options.signal}` as NodeJS.Signals);
      if (pids.length > 0 && ['KILL', 'TERM', 'INT', 'QUIT', 'ABRT', 'SEGV'].includes(options.signal)) {
        markFailed(config, memberName, 'signal');
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && memberPids(config, memberName).length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  return 0;
}

function show(config: LabConfig, host: LabHostName, names: string[], options: Options, io: Out): number {
  for (const [index, name] of names.entries()) {
    const unit = findUnit(host, name);
    const state = unit ? unitState(config, unit) : undefined;
    const values: Record<string, string> = {
      Id: unit ? `${unit.name}.service` : withService(name),
      Names: unit ? [unit.name, ...unit.aliases].map(withService).join(' ') : withService(name),
      Description: unit?.description ?? withService(name),
      LoadState: unit ? 'loaded' : 'not-found',
      ActiveState: state?.active ?? 'inactive',
      SubState: state?.sub ?? 'dead',
      Result: state?.result ?? 'success',
      MainPID: String(state?.mainPid ?? 0),
      ExecMainPID: String(state?.mainPid ?? 0),
      UnitFileState: unit ? 'enabled' : '',
      FragmentPath: unit ? `/lib/systemd/system/${unit.name}.service` : '',
    };
    const wanted = options.properties.length > 0 ? options.properties : Object.keys(values);
    if (index > 0) io.out('\n');
    for (const property of wanted) io.out(options.value ? `${values[property] ?? ''}\n` : `${property}=${values[property] ?? ''}\n`);
  }
  return 0;
}

/** The shim's entry point: `node systemctl.mjs <lab.json> <host> <systemctl args...>`. */
export async function main(argv: string[]): Promise<number> {
  const [configFile, host, ...rest] = argv;
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as LabConfig;
  if (!LAB_HOST_NAMES.includes(host as LabHostName)) {
    process.stderr.write(`systemctl (lab shim): unknown lab host ${host}\n`);
    return 1;
  }
  try {
    appendFileSync(`${logDir(config)}/systemctl.log`, `${new Date().toISOString()} ${host} uid=${process.getuid?.()} systemctl ${rest.join(' ')}\n`);
  } catch {
    // Non-root callers cannot write the lab's log; status still works.
  }
  try {
    return await systemctl(config, host as LabHostName, rest, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}
