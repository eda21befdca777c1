// Plays TwilioQuest's side of an exported extension: a running questgate
// with its sandbox, an extension exported for a cohort, and every
// validator.js loaded as the game loads it, called with a stub of the
// game's helper. Run by `make test-node` (node --test), with QUESTGATE_BIN
// naming a built questgate binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createTCPServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const bin = process.env.QUESTGATE_BIN;
if (!bin) {
  throw new Error('QUESTGATE_BIN must name a questgate binary (make test-node builds one)');
}

let dir;
let server;
let baseURL;
let code;
let ext;
let account;

// questgate runs the binary on the test's data folder.
async function questgate(args, input) {
  const p = run(bin, [...args, '--data-dir', join(dir, 'data')], { env: { PATH: process.env.PATH } });
  if (input !== undefined) {
    p.child.stdin.end(input);
  }
  const { stdout } = await p;
  return stdout;
}

// call makes one HTTP request and resolves with status, headers and body.
function call(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// sendMessage sends a text message through the sandbox, as a player's
// code would through Twilio, and returns its SID.
async function sendMessage(acc, body, extra = {}) {
  const form = new URLSearchParams({ From: '+15017122661', To: '+15558675310', Body: body, ...extra });
  const res = await call('POST', `${baseURL}/sandbox/2010-04-01/Accounts/${acc.account_sid}/Messages.json`, {
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'Basic ' + Buffer.from(`${acc.account_sid}:${acc.auth_token}`).toString('base64'),
    },
    body: form.toString(),
  });
  assert.equal(res.status, 201, res.body);
  return JSON.parse(res.body).sid;
}

async function sandboxAccount(name) {
  const res = await call('POST', `${baseURL}/sandbox/accounts`, {
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ friendly_name: name }),
  });
  assert.equal(res.status, 201, res.body);
  return JSON.parse(res.body);
}

// hack runs a validator as TwilioQuest does when the player presses HACK,
// and resolves with what it ended the attempt with.
async function hack(validatorPath, { fields = {}, env = {} } = {}) {
  const validate = require(validatorPath);
  let outcome;
  const helper = {
    validationFields: { ...fields },
    getNormalizedInput: (name) => String(fields[name] ?? '').trim(),
    env: { ...env },
    success: (message) => { outcome = { ok: true, message }; },
    fail: (message) => { outcome = { ok: false, message }; },
  };
  await validate(helper);
  assert.ok(outcome, 'the validator ended the attempt with neither success nor fail');
  return outcome;
}

function objectives(root) {
  return JSON.parse(readFileSync(join(root, 'levels', 'questgate', 'level.json'), 'utf8')).objectives;
}

function objectiveDir(root, id) {
  return join(root, 'levels', 'questgate', 'objectives', id);
}

function sidField(root, id) {
  const o = JSON.parse(readFileSync(join(objectiveDir(root, id), 'objective.json'), 'utf8'));
  return o.validation_fields[0].name;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'questgate-tq-'));
  server = spawn(bin, ['serve', '--sandbox', '--addr', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--log-level', 'warn'],
    { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit'] });
  baseURL = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/is serving on (http:\/\/\S+)/);
      if (m) {
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    });
    server.on('exit', (status) => reject(new Error(`questgate serve stopped (${status}):\n${out}`)));
  });
  const created = await questgate(['cohort', 'create', '--name', 'Node workshop', '--public-url', baseURL]);
  code = created.match(/Join code: (\S+)/)[1];
  await questgate(['instructor', 'add', '--email', 'teacher@example.com', '--password-stdin'], 'correct horse battery staple\n');
  ext = join(dir, 'ext');
  await questgate(['twilioquest', 'export', '--out', ext, '--cohort', code, '--public-url', baseURL]);
  account = await sandboxAccount('node player');
});

after(() => {
  server?.kill('SIGTERM');
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every file of the extension parses, and every objective has a validator that exports a function', () => {
  const pkg = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
  assert.ok(pkg.engines.twilioquest);
  const ids = objectives(ext);
  assert.ok(ids.length > 0);
  for (const id of ids) {
    const files = readdirSync(objectiveDir(ext, id));
    for (const f of files.filter((f) => f.endsWith('.json'))) {
      const o = JSON.parse(readFileSync(join(objectiveDir(ext, id), f), 'utf8'));
      assert.ok(o.title && o.validation_fields.length > 0 && o.rewards, `${id}/${f}`);
    }
    assert.ok(files.includes('description.fr.md') && files.includes('walkthrough.md'), id);
    assert.equal(typeof require(join(objectiveDir(ext, id), 'validator.js')), 'function', id);
  }
});

test('every validator asks for the game settings, then a SID, without calling questgate', async () => {
  for (const id of objectives(ext)) {
    const v = join(objectiveDir(ext, id), 'validator.js');
    let r = await hack(v, { fields: { [sidField(ext, id)]: 'SM123' } });
    assert.equal(r.ok, false);
    assert.match(r.message, /Account SID and Auth Token in the game's settings/);
    r = await hack(v, { env: { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: account.auth_token, TQ_LANGUAGE: 'fr' } });
    assert.equal(r.ok, false);
    assert.match(r.message, /Collez dans le champ le SID/);
  }
});

test('every validator gets questgate\'s verdict on a wrong SID', async () => {
  const env = { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: account.auth_token };
  for (const id of objectives(ext)) {
    const r = await hack(join(objectiveDir(ext, id), 'validator.js'), { fields: { [sidField(ext, id)]: 'not a sid' }, env });
    assert.equal(r.ok, false, id);
    assert.ok(r.message.length > 20, `${id}: ${r.message}`);
    assert.doesNotMatch(r.message, /could not be reached|answered with an error/, id);
  }
});

test('a HACK is awarded, then already done, and the player shows in the cohort\'s progress', async () => {
  const first = objectives(ext)[0];
  const v = join(objectiveDir(ext, first), 'validator.js');
  const env = { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: account.auth_token };
  const sid = await sendMessage(account, 'Hello from the Node test');
  let r = await hack(v, { fields: { [sidField(ext, first)]: `  ${sid} `, questgate_name: 'Ada Node' }, env });
  assert.deepEqual([r.ok, r.message.startsWith('Objective complete')], [true, true], r.message);
  r = await hack(v, { fields: { [sidField(ext, first)]: sid }, env: { ...env, TQ_LANGUAGE: 'fr' } });
  assert.equal(r.ok, true, r.message);
  assert.match(r.message, /Objectif déjà atteint/);

  // The instructor signs in and finds the player in the progress.
  const login = await call('POST', `${baseURL}/instructor/login`, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' },
    body: new URLSearchParams({ email: 'teacher@example.com', password: 'correct horse battery staple' }).toString(),
  });
  assert.equal(login.status, 303, login.body);
  const cookie = [].concat(login.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; ');
  const cohorts = await call('GET', `${baseURL}/instructor/cohorts`, { headers: { Cookie: cookie } });
  const id = cohorts.body.match(/href="\/instructor\/cohorts\/(\d+)"[^>]*>Node workshop</);
  assert.ok(id, 'the cohorts page lists the workshop');
  const progress = await call('GET', `${baseURL}/instructor/progress?cohort=${id[1]}`, { headers: { Cookie: cookie } });
  assert.equal(progress.status, 200);
  assert.match(progress.body, /Ada Node/);
});

test('a sample body is rejected with the reason in the player\'s language', async () => {
  const first = objectives(ext)[0];
  const other = await sandboxAccount('second player');
  const otherSID = await sendMessage(other, 'Ahoy from the Twilio API!');
  const r = await hack(join(objectiveDir(ext, first), 'validator.js'), {
    fields: { [sidField(ext, first)]: otherSID },
    env: { TQ_ACCOUNT_SID: other.account_sid, TQ_AUTH_TOKEN: other.auth_token, TQ_LANGUAGE: 'fr' },
  });
  assert.equal(r.ok, false);
  assert.match(r.message, /Écrivez votre propre message/);
});

test('credentials Twilio refuses fail, naming the game\'s settings', async () => {
  const first = objectives(ext)[0];
  const r = await hack(join(objectiveDir(ext, first), 'validator.js'), {
    fields: { [sidField(ext, first)]: 'SM' + '0'.repeat(32) },
    env: { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: 'f'.repeat(32) },
  });
  assert.equal(r.ok, false);
  assert.match(r.message, /did not accept the Account SID and Auth Token set in the game/);
});

test('questgate out of reach fails with a clear message', async () => {
  const closed = await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const away = join(dir, 'away');
  await questgate(['twilioquest', 'export', '--out', away, '--cohort', code, '--public-url', `http://127.0.0.1:${closed}`]);
  const first = objectives(away)[0];
  for (const [lang, want] of [['en', /could not be reached/], ['fr', /est injoignable/]]) {
    const r = await hack(join(objectiveDir(away, first), 'validator.js'), {
      fields: { [sidField(away, first)]: 'SM' + '0'.repeat(32) },
      env: { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: account.auth_token, TQ_LANGUAGE: lang },
    });
    assert.equal(r.ok, false);
    assert.match(r.message, want);
  }
});

test('questgate too slow to answer fails with a clear message', async () => {
  // A server that takes the request and never answers; the validator's
  // own timeout (45 s in the export) is cut short in a copy of it.
  const sockets = [];
  const silent = createTCPServer((socket) => sockets.push(socket));
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const slow = join(dir, 'slow');
    await questgate(['twilioquest', 'export', '--out', slow, '--cohort', code, '--public-url', `http://127.0.0.1:${silent.address().port}`]);
    const first = objectives(slow)[0];
    const path = join(objectiveDir(slow, first), 'validator.js');
    const source = readFileSync(path, 'utf8');
    assert.match(source, /"timeoutMs": 45000/);
    writeFileSync(path, source.replace('"timeoutMs": 45000', '"timeoutMs": 300'));
    const r = await hack(path, {
      fields: { [sidField(slow, first)]: 'SM' + '0'.repeat(32) },
      env: { TQ_ACCOUNT_SID: account.account_sid, TQ_AUTH_TOKEN: account.auth_token },
    });
    assert.equal(r.ok, false);
    assert.match(r.message, /took too long to answer/);
  } finally {
    sockets.forEach((s) => s.destroy());
    silent.close();
  }
});
