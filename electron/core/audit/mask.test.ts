import { describe, expect, it } from 'vitest';

// Key-block markers are assembled here so that no file of the repository looks like a private key.
const KEY = ['PRIVATE', 'KEY-----'].join(' ');
const BEGIN_OPENSSH = `-----BEGIN OPENSSH ${KEY}`;
const END_OPENSSH = `-----END OPENSSH ${KEY}`;
const BEGIN_RSA = `-----BEGIN RSA ${KEY}`;
const END_RSA = `-----END RSA ${KEY}`;
import { MASK, Masker, hasPatternTrigger, isSecretKey } from './mask';

const patterns = new Masker();

describe('Masker patterns', () => {
  it.each([
    ['mysql -uroot -pS3cret -h db nova', `mysql -uroot -p${MASK} -h db nova`],
    ["mysqldump -p'pa ss' --all-databases", `mysqldump -p'${MASK}' --all-databases`],
    ['mysql -h db -P3306 -pX1 nova', `mysql -h db -P3306 -p${MASK} nova`],
    ['mariadb -u root -phunter nova', `mariadb -u root -p${MASK} nova`],
    ['mysqladmin --password=abc status', `mysqladmin --password=${MASK} status`],
    ['mysqladmin --password abc status', `mysqladmin --password ${MASK} status`],
    ['OS_PASSWORD=foo openstack server list', `OS_PASSWORD=${MASK} openstack server list`],
    ['export OS_PASSWORD="foo bar"', `export OS_PASSWORD="${MASK}"`],
    ['export OS_TOKEN=gAAAAAB', `export OS_TOKEN=${MASK}`],
    ['password = my secret phrase', `password = ${MASK}`],
    ['admin_password: abc', `admin_password: ${MASK}`],
    ['  "password": "x",', `  "password": "${MASK}",`],
    ['transport_url = rabbit://nova:p4ss@rabbit1:5672,nova:p5ss@rabbit2:5672/', `transport_url = rabbit://nova:${MASK}@rabbit1:5672,nova:${MASK}@rabbit2:5672/`],
    ['connection = mysql+pymysql://nova:pw@db.example/nova', `connection = mysql+pymysql://nova:${MASK}@db.example/nova`],
    ['curl -H "X-Auth-Token: gAAAAABk" https://api', `curl -H "X-Auth-Token: ${MASK}" https://api`],
    ['openstack --os-token gAAAA server list', `openstack --os-token ${MASK} server list`],
    ['OS_TOKEN=abc openstack token revoke', `OS_TOKEN=${MASK} openstack token revoke`],
    ['rabbitmqctl add_user nova s3cr3t', `rabbitmqctl add_user nova ${MASK}`],
    ["rabbitmqctl change_password 'nova' 'x y'", `rabbitmqctl change_password 'nova' '${MASK}'`],
    ["CREATE USER 'n'@'%' IDENTIFIED BY 'pw';", `CREATE USER 'n'@'%' IDENTIFIED BY '${MASK}';`],
  ])('masks %s', (input, expected) => {
    expect(patterns.mask(input)).toBe(expected);
    // The same line inside a long chunk of clean output, after that output was seen clean (remembered).
    const filler = 'INFO nova.compute.manager instance ACTIVE on compute01\n'.repeat(40);
    const masker = new Masker();
    expect(masker.mask(filler)).toBe(filler);
    expect(masker.mask(`${filler}${input}\n${filler}`)).toBe(`${filler}${expected}\n${filler}`);
    expect(hasPatternTrigger(input.toUpperCase()) && hasPatternTrigger(input.toLowerCase())).toBe(true);
  });

  it.each([
    'mysql -p nova',
    'mkdir -pv /var/lib/nova',
    'ssh -p2222 compute-01',
    'auth_type = password',
    'http://controller:5000/v3',
    'mysql -u root --password',
    '--os-password $OS_PASSWORD',
    'openstack token issue -f value -c id',
  ])('leaves %s alone', (input) => {
    expect(patterns.mask(input)).toBe(input);
  });

  it('masks the body of a private key block and keeps its frame', () => {
    const text = `key:\n${BEGIN_OPENSSH}\nb3BlbnNzaC1rZXktdjEA\nAAAABG5vbmU=\n${END_OPENSSH}\nafter`;
    const masked = patterns.mask(text);
    expect(masked).toBe(`key:\n${BEGIN_OPENSSH}\n${MASK}\n${END_OPENSSH}\nafter`);
    expect(masked).not.toContain('b3BlbnNzaC1rZXktdjEA');
  });

  it('masks everything after a key block that never ends', () => {
    expect(patterns.mask(`${BEGIN_RSA}\nMIIEpAIB\nMIIEpAIB`)).not.toContain('MIIEpAIB');
  });

  it('remembers only texts it left unchanged, and looks at a changed text of the same length again', () => {
    const masker = new Masker(['hunter2']);
    const clean = `${'x'.repeat(2000)} hunter3\n`;
    const dirty = `${'x'.repeat(2000)} hunter2\n`;
    expect(masker.mask(clean)).toBe(clean);
    expect(masker.mask(clean)).toBe(clean);
    expect(masker.mask(dirty)).toBe(`${'x'.repeat(2000)} ${MASK}\n`);
    expect(masker.mask(dirty)).toBe(`${'x'.repeat(2000)} ${MASK}\n`);
  });

  it('is idempotent', () => {
    const once = patterns.mask('mysql -pS3cret; OS_PASSWORD=x; rabbit://u:p@h/');
    expect(patterns.mask(once)).toBe(once);
  });
});

describe('Masker secrets', () => {
  it('masks secrets containing regex metacharacters literally', () => {
    const masker = new Masker(['a.b*c(d)[e]$^\\', 'x+y?']);
    expect(masker.mask('v=a.b*c(d)[e]$^\\ w=x+y? z=axbbbc')).toBe(`v=${MASK} w=${MASK} z=axbbbc`);
  });

  it('masks unicode secrets', () => {
    const masker = new Masker(['pässwörd🔑', '密码']);
    expect(masker.mask('try pässwörd🔑 or 密码!')).toBe(`try ${MASK} or ${MASK}!`);
  });

  it('masks short secrets but ignores empty ones', () => {
    const masker = new Masker(['', 'ab1', null, undefined]);
    expect(masker.mask('xab1y and hello')).toBe(`x${MASK}y and hello`);
    expect(new Masker(['']).mask('nothing to hide')).toBe('nothing to hide');
  });

  it('masks a secret equal to a common word everywhere it appears (safe side)', () => {
    const masker = new Masker(['admin']);
    expect(masker.mask('user admin logged in as admin')).toBe(`user ${MASK} logged in as ${MASK}`);
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const masker = new Masker(['abc', 'abcdef']);
    expect(masker.mask('abcdef abc')).toBe(`${MASK} ${MASK}`);
  });

  it('masks a secret that would not match any pattern', () => {
    expect(new Masker(['Tr0ub4dor&3']).mask('echo Tr0ub4dor&3 | passwd --stdin')).toBe(`echo ${MASK} | passwd --stdin`);
  });

  it('with() adds secrets without changing the original', () => {
    const base = new Masker(['one1']);
    const more = base.with(['two2']);
    expect(more.mask('one1 two2')).toBe(`${MASK} ${MASK}`);
    expect(base.mask('one1 two2')).toBe(`${MASK} two2`);
  });
});

describe('maskValue', () => {
  it('masks deeply, by key and by value', () => {
    const masker = new Masker(['hunter2']);
    const input = {
      host: 'compute-01',
      password: 'x',
      passwordSet: false,
      nested: { os_token: 12345, list: ['hunter2', 'ok'], sshPass: 'y', bypass: 'keep' },
      command: 'mysql -pS3cret',
      empty: null,
    };
    expect(masker.maskValue(input)).toEqual({
      host: 'compute-01',
      password: MASK,
      passwordSet: false,
      nested: { os_token: MASK, list: [MASK, 'ok'], sshPass: MASK, bypass: 'keep' },
      command: `mysql -p${MASK}`,
      empty: null,
    });
    expect(input.password).toBe('x');
  });

  it('masks every leaf under a secret key', () => {
    expect(new Masker().maskValue({ secrets: { a: 'one', b: ['two'] } })).toEqual({ secrets: { a: MASK, b: [MASK] } });
  });

  it('recognises secret key names', () => {
    expect(['password', 'db_passwd', 'keyPassphrase', 'apiKey', 'private_key', 'OS_TOKEN', 'db_pass', 'sshPass'].every(isSecretKey)).toBe(true);
    expect(['host', 'bypass', 'compass', 'passes', 'kind'].some(isSecretKey)).toBe(false);
  });
});

describe('StreamMasker', () => {
  function streamed(masker: Masker, chunks: string[]): { out: string; pieces: string[] } {
    const stream = masker.createStreamMasker();
    const pieces = chunks.map((chunk) => stream.push(chunk));
    pieces.push(stream.flush());
    return { out: pieces.join(''), pieces };
  }

  it('masks a secret split across chunks at every possible boundary', () => {
    const masker = new Masker(['hunter2-secret']);
    const text = 'before hunter2-secret after\nnext line hunter2-secret\n';
    for (let cut = 1; cut < text.length; cut += 1) {
      const { out } = streamed(masker, [text.slice(0, cut), text.slice(cut)]);
      expect(out, `cut at ${cut}`).toBe(`before ${MASK} after\nnext line ${MASK}\n`);
    }
  });

  it('masks a secret fed one character at a time', () => {
    const masker = new Masker(['pässwörd🔑']);
    const text = 'x pässwörd🔑 y\n';
    const { out } = streamed(masker, Array.from(text));
    expect(out).toBe(`x ${MASK} y\n`);
  });

  it('masks a pattern split across chunks', () => {
    const { out } = streamed(new Masker(), ['mysql -uroot -pS3', 'cret nova\nOS_PASS', 'WORD=abc\n']);
    expect(out).toBe(`mysql -uroot -p${MASK} nova\nOS_PASSWORD=${MASK}\n`);
  });

  it('releases complete lines at once and holds the incomplete one until flush', () => {
    const stream = new Masker(['hunter2']).createStreamMasker();
    expect(stream.push('one\ntwo hun')).toBe('one\n');
    expect(stream.pendingLength).toBe(7);
    expect(stream.push('ter2 three')).toBe('');
    expect(stream.flush()).toBe(`two ${MASK} three`);
  });

  it('masks a private key block spread over many chunks', () => {
    const chunks = [`log\n${BEGIN_RSA.slice(0, 19)}`, `${BEGIN_RSA.slice(19)}\nMIIEow`, `IBAAKCAQ\nEAx\n${END_RSA}\n`, 'done\n'];
    const { out } = streamed(new Masker(), chunks);
    expect(out).toBe(`log\n${BEGIN_RSA}\n${MASK}\n${END_RSA}\ndone\n`);
  });

  it('releases a long line without newline, keeping a secret at the cut whole', () => {
    const secret = 'S'.repeat(10) + 'ecret';
    const masker = new Masker([secret]);
    const stream = masker.createStreamMasker();
    const long = 'x'.repeat(5000);
    const first = stream.push(long + secret.slice(0, 7));
    expect(first.length).toBeGreaterThan(4000);
    expect(first).not.toContain('S');
    const rest = stream.push(secret.slice(7) + ' tail') + stream.flush();
    expect(first + rest).toBe(long + MASK + ' tail');
  });

  it('masks a multi-line secret split across lines and chunks', () => {
    const secret = 'line-one\nline-two';
    const { out } = streamed(new Masker([secret]), ['a line-one\n', 'line-two b\n']);
    expect(out).toBe(`a ${MASK} b\n`);
  });
});

describe('hasPatternTrigger', () => {
  it('finds a trigger word in any case, and nothing in plain log lines', () => {
    expect(hasPatternTrigger('2026-11-21 12:00:00.123 4242 INFO nova.compute.manager Instance ACTIVE on compute01\n'.repeat(50))).toBe(false);
    expect(hasPatternTrigger('x'.repeat(5000) + 'PaSsWoRd')).toBe(true);
    expect(hasPatternTrigger('connection=MYSQL+PYMYSQL://nova@db/nova')).toBe(true);
    expect(hasPatternTrigger('rabbitmqctl ADD_USER')).toBe(true);
  });
});
