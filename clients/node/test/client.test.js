'use strict';
// ecusim-client against the real ecusimd running the demo vehicle.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { before, after, test } = require('node:test');
const { setTimeout: sleep } = require('node:timers/promises');
const { connect, EcusimError } = require('..');
const { startEcusimd } = require('./ecusimd');

const DEMO_ECUS = ['brake', 'gateway', 'infotainment'];
let daemon;
let client;

before(async () => {
  daemon = await startEcusimd({ demo: true });
  client = daemon.client;
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.log());
});

/** Awaits `promise`, expecting it to reject with an EcusimError; returns the error. */
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof EcusimError, `not an EcusimError: ${err && err.stack}`);
    return err;
  }
  assert.fail('expected a rejection');
}

test('health is SERVING', async () => {
  assert.equal(await client.health(), 'SERVING');
});

test('every unary RPC in the .proto files has a wrapper', async () => {
  // Parsed from the proto text here, independently of @grpc/proto-loader.
  const dir = path.resolve(__dirname, '..', '..', '..', 'proto', 'ecusim', 'v1');
  let unary = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.proto'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    let service = null;
    for (const m of text.matchAll(/^service\s+(\w+)|^\s*rpc\s+(\w+)\s*\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?/gm)) {
      if (m[1]) {
        service = m[1];
      } else if (!m[3] && !m[4]) {
        assert.equal(typeof client.services[service]?.[m[2]], 'function', `${service}.${m[2]}`);
        unary++;
      }
    }
  }
  assert.ok(unary >= 10, `only ${unary} unary RPCs found`);
  assert.equal(client.listEcus, client.services.EcuService.ListEcus);
  assert.equal(client.getStats, client.services.ObserveService.GetStats);
});

test('ListEcus sees the demo vehicle', async () => {
  const reply = await client.listEcus({});
  const ids = reply.ecus.map((e) => e.id).sort();
  for (const id of DEMO_ECUS) assert.ok(ids.includes(id), `${id} missing from ${ids}`);
  for (const ecu of reply.ecus) {
    assert.match(ecu.address, /^[0-9a-f.:]+$/, `address of ${ecu.id}`);
    assert.equal(typeof ecu.shard, 'number');
  }
  assert.equal(reply.next_page_token, '');
  const paged = await client.listEcus({ page_size: 1 });
  assert.equal(paged.ecus.length, 1);
  assert.notEqual(paged.next_page_token, '');
  const stats = await client.getStats({});
  assert.equal(stats.ecus, reply.ecus.length);
  assert.equal(typeof stats.observations_published, 'string', 'uint64 as string (longs: String)');
});

test('CreateEcu, GetEcu, DeleteEcu', async () => {
  const created = await client.createEcu({
    ecu: { id: 'node-test', address: '127.0.0.77', labels: { owner: 'node' } },
  });
  assert.equal(created.id, 'node-test');
  assert.equal(created.address, '127.0.0.77');
  assert.deepEqual({ ...created.labels }, { owner: 'node' });
  const got = await client.getEcu({ ecu_id: 'node-test' });
  assert.deepEqual(got, created);
  assert.deepEqual(await client.deleteEcu({ ecu_id: 'node-test' }), {});
  const err = await rejection(client.getEcu({ ecu_id: 'node-test' }));
  assert.equal(err.code, 'NOT_FOUND');
  assert.match(err.details, /node-test/);
  assert.equal(err.grpcCode, 5);
  assert.equal(err.method, 'EcuService.GetEcu');
  assert.match(err.message, /^EcuService\.GetEcu: NOT_FOUND: /);
});

test('ALREADY_EXISTS and INVALID_ARGUMENT carry the code and name the field', async () => {
  let err = await rejection(client.createEcu({ ecu: { id: 'brake', address: '127.0.0.78' } }));
  assert.equal(err.code, 'ALREADY_EXISTS');
  assert.match(err.details, /"brake"/);

  err = await rejection(client.createEcu({ ecu: { id: 'Bad_Id', address: '127.0.0.78' } }));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.details, /ecu\.id/);
  assert.match(err.details, /Bad_Id/);

  err = await rejection(client.createEcu({ ecu: { id: 'ok-id', address: 'not-an-ip' } }));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.details, /ecu\.address/);
  assert.match(err.details, /not-an-ip/);

  err = await rejection(client.listEcus({ page_size: -1 }));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.details, /page_size/);
});

test('Watch: snapshot, sync, then a live ecu.created; cancel ends the server-side watch', { timeout: 30000 }, async () => {
  const stream = client.watch({ kind_prefixes: ['ecu.'] });
  const snapshot = [];
  let sync = null;
  for await (const item of stream) {
    if (item.item === 'sync') {
      sync = item.sync;
      break;
    }
    assert.equal(item.item, 'observation');
    snapshot.push(item.observation);
  }
  // `break` above cancelled that call; the next watch stays open for the live part.
  assert.ok(sync, 'no sync marker');
  assert.equal(sync.snapshot_count, String(snapshot.length));
  for (const o of snapshot) {
    assert.equal(o.snapshot, true);
    assert.equal(o.kind, 'ecu.created');
  }
  const snapshotIds = snapshot.map((o) => o.ecu_id).sort();
  for (const id of DEMO_ECUS) assert.ok(snapshotIds.includes(id), `${id} not in snapshot`);

  const live = client.watch({ kind_prefixes: ['ecu.'], ecu_ids: ['node-watch'] });
  const first = await live.next();
  assert.equal(first.value.item, 'sync');
  assert.equal(first.value.sync.snapshot_count, '0');
  await client.createEcu({ ecu: { id: 'node-watch', address: '127.0.0.79' } });
  const next = await Promise.race([
    live.next(),
    sleep(5000).then(() => assert.fail('no live observation within 5 s')),
  ]);
  const o = next.value.observation;
  assert.equal(o.kind, 'ecu.created');
  assert.equal(o.ecu_id, 'node-watch');
  assert.equal(o.snapshot, false);
  assert.equal(o.resource, 'ecus/node-watch');
  assert.equal(next.value.dropped, '0');
  live.cancel();
  assert.deepEqual(await live.next(), { value: undefined, done: true });
  await client.deleteEcu({ ecu_id: 'node-watch' });

  const deadline = Date.now() + 5000;
  let stats;
  do {
    stats = await client.getStats({});
    if (stats.watchers === 0) break;
    await sleep(50);
  } while (Date.now() < deadline);
  assert.equal(stats.watchers, 0, 'cancelled watches still open on the server');
});

test('Watch errors are thrown by the iterator as EcusimError', async () => {
  const stream = client.watch({ queue_size: 2000000 });
  const err = await rejection(stream.next());
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.details, /queue_size/);
  assert.equal(err.method, 'ObserveService.Watch');
});

test('an RPC on a missing ECU (or not built yet) is a rejection', async () => {
  const err = await rejection(client.services.DoipService.StopEntity({ ecu_id: 'no-such-ecu' }));
  assert.ok(['UNIMPLEMENTED', 'NOT_FOUND'].includes(err.code), `${err.code}: ${err.details}`);
  assert.notEqual(err.details, '');
});

test('a missing proto directory is a clear error', () => {
  assert.throws(() => connect('127.0.0.1:1', { protoDir: '/nonexistent' }), /ECUSIM_PROTO_DIR/);
});

test('close() ends open watches and the server sees them go', { timeout: 30000 }, async () => {
  const other = connect(daemon.target);
  const stream = other.watch({});
  assert.equal((await stream.next()).done, false);
  const drained = (async () => {
    let n = 0;
    for await (const item of stream) n += item ? 1 : 0;
    return n;
  })();
  other.close();
  assert.equal(typeof (await drained), 'number');
  const deadline = Date.now() + 5000;
  let stats;
  do {
    stats = await client.getStats({});
    if (stats.watchers === 0) break;
    await sleep(50);
  } while (Date.now() < deadline);
  assert.equal(stats.watchers, 0);
});

test('a request that does not fit the message type is a rejection', async () => {
  const err = await rejection(client.createEcu({ ecu: 'brake' }));
  assert.equal(err.code, 'INTERNAL');
  assert.match(err.details, /CreateEcuRequest\.ecu: object expected/);
});

test('module RPCs work through the generated flat aliases (advertisements)', async () => {
  const found = await client.discover({ service_type: 'ecusim.doip' });
  const gateway = found.advertisements.find((a) => a.ecu_id === 'gateway');
  assert.ok(gateway, JSON.stringify(found));
  assert.equal(gateway.address, 'doip://127.0.0.10:13400');
  assert.ok(gateway.path.startsWith(daemon.advertDir), gateway.path);
  assert.equal(client.discover, client.services.AdvertisementService.Discover);
  const err = await rejection(client.discover({ service_type: '' }));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.details, /service_type/);
});
