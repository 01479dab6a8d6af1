#!/usr/bin/env node
'use strict';
// ecusim-node: a tiny command line over the ecusim-client package.

const { connect, DEFAULT_TARGET } = require('..');

const USAGE = `usage: ecusim-node [--target=HOST:PORT] COMMAND
commands:
  list                   ECUs: id, address, shard, labels
  create ID ADDRESS      create an ECU, e.g. create brake 127.0.0.3
  delete ID              delete an ECU
  watch [PREFIX...]      stream observations (kind prefixes, e.g. ecu. someip.) until Ctrl-C
target: --target, else $ECUSIM_TARGET, else ${DEFAULT_TARGET}`;

function usage(message) {
  if (message) process.stderr.write(`ecusim-node: ${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

function formatLabels(labels) {
  return Object.entries(labels || {}).sort().map(([k, v]) => `${k}=${v}`).join(',');
}

function formatTime(ts) {
  if (!ts) return '-';
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return new Date(ms).toISOString();
}

async function list(client) {
  let pageToken = '';
  do {
    const page = await client.listEcus({ page_token: pageToken });
    for (const ecu of page.ecus) {
      console.log([ecu.id, ecu.address, ecu.shard, formatLabels(ecu.labels) || '-'].join('\t'));
    }
    pageToken = page.next_page_token;
  } while (pageToken);
}

async function watch(client, prefixes) {
  const stream = client.watch({ kind_prefixes: prefixes });
  process.once('SIGINT', () => stream.cancel());
  process.once('SIGTERM', () => stream.cancel());
  for await (const item of stream) {
    if (item.sync) {
      console.log(`-- sync: ${item.sync.snapshot_count} snapshot observations above, live below --`);
      continue;
    }
    const o = item.observation;
    const attrs = Object.entries(o.attributes).sort().map(([k, v]) => `${k}=${v}`);
    console.log([formatTime(o.time), o.kind, o.ecu_id || '-', o.resource || '-', ...attrs].join(' '));
  }
}

async function main(argv) {
  let target = process.env.ECUSIM_TARGET || DEFAULT_TARGET;
  const args = [];
  for (const arg of argv) {
    if (arg.startsWith('--target=')) target = arg.slice('--target='.length);
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('--')) usage(`unknown flag ${arg}`);
    else args.push(arg);
  }
  const [command, ...rest] = args;
  const arity = { list: [0, 0], create: [2, 2], delete: [1, 1], watch: [0, Infinity] }[command];
  if (!arity) usage(command ? `unknown command ${command}` : 'missing command');
  if (rest.length < arity[0] || rest.length > arity[1]) usage(`wrong number of arguments for ${command}`);

  const client = connect(target);
  try {
    switch (command) {
      case 'list':
        await list(client);
        break;
      case 'create': {
        const ecu = await client.createEcu({ ecu: { id: rest[0], address: rest[1] } });
        console.log(`created ${ecu.id} ${ecu.address} shard ${ecu.shard}`);
        break;
      }
      case 'delete':
        await client.deleteEcu({ ecu_id: rest[0] });
        console.log(`deleted ${rest[0]}`);
        break;
      case 'watch':
        await watch(client, rest);
        break;
    }
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`ecusim-node: ${err.code ? `${err.code}: ${err.details}` : err.message}\n`);
  process.exit(1);
});
