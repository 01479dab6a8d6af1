'use strict';
// Promise-based client for the ecusim gRPC control API (package ecusim.v1).
//
// The .proto files are loaded at run time (there is no grpc node code generator on Debian), so
// every unary RPC of every ecusim.v1 service gets a wrapper without touching this file.

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEFAULT_TARGET = '127.0.0.1:50051';
const DEFAULT_PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');
const DEFAULT_GRPC_PROTO_DIR = '/usr/share/grpc-proto';
const PACKAGE = 'ecusim.v1';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';
const HEALTH_SERVICE = 'grpc.health.v1.Health';
// Names on the client object that generated aliases must never shadow.
const RESERVED = new Set(['services', 'watch', 'health', 'ready', 'close', 'raw', 'target']);

const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  // Adds a virtual field naming the set member of each oneof, e.g. WatchResponse.item.
  oneofs: true,
};

/** A failed RPC: `code` is the gRPC status name ('NOT_FOUND'), `details` the server's text. */
class EcusimError extends Error {
  constructor(method, serviceError) {
    const code = grpc.status[serviceError.code] || `UNKNOWN_STATUS_${serviceError.code}`;
    const details = serviceError.details || '';
    super(`${method}: ${code}: ${details}`);
    this.name = 'EcusimError';
    this.code = code;
    this.details = details;
    this.grpcCode = serviceError.code;
    this.method = method;
    this.metadata = serviceError.metadata;
  }
}

function protoDir() {
  return process.env.ECUSIM_PROTO_DIR || DEFAULT_PROTO_DIR;
}

function grpcProtoDir() {
  return process.env.ECUSIM_GRPC_PROTO_DIR || DEFAULT_GRPC_PROTO_DIR;
}

const definitionCache = new Map();

/** Loads (once per directory pair) ecusim.v1 and grpc.health.v1 as a package definition. */
function loadDefinition(dir = protoDir(), healthDir = grpcProtoDir()) {
  const key = `${dir}\0${healthDir}`;
  if (definitionCache.has(key)) return definitionCache.get(key);
  const pkgDir = path.join(dir, ...PACKAGE.split('.'));
  let files;
  try {
    files = fs.readdirSync(pkgDir).filter((f) => f.endsWith('.proto')).sort();
  } catch (err) {
    throw new Error(`ecusim protos not found in ${pkgDir} (set ECUSIM_PROTO_DIR): ${err.message}`);
  }
  if (files.length === 0) throw new Error(`no .proto files in ${pkgDir} (set ECUSIM_PROTO_DIR)`);
  if (!fs.existsSync(path.join(healthDir, HEALTH_PROTO))) {
    throw new Error(`${HEALTH_PROTO} not found in ${healthDir} (Debian package grpc-proto, ` +
                    'or set ECUSIM_GRPC_PROTO_DIR)');
  }
  const protos = files.map((f) => `${PACKAGE.split('.').join('/')}/${f}`).concat(HEALTH_PROTO);
  const definition = protoLoader.loadSync(protos, { ...LOADER_OPTIONS, includeDirs: [dir, healthDir] });
  definitionCache.set(key, definition);
  return definition;
}

function isService(def) {
  return def && typeof def.format !== 'string' && Object.values(def).every((m) => m && m.path);
}

/** The ecusim.v1 services of a package definition: { EcuService: { CreateEcu: methodDef } }. */
function ecusimServices(definition) {
  const services = {};
  for (const [name, def] of Object.entries(definition)) {
    if (!name.startsWith(`${PACKAGE}.`) || !isService(def)) continue;
    services[name.slice(PACKAGE.length + 1)] = def;
  }
  return services;
}

function lowerCamel(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function toMetadata(metadata) {
  if (!metadata || metadata instanceof grpc.Metadata) return metadata || new grpc.Metadata();
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return md;
}

function callOptions(opts, defaultTimeoutMs) {
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
  return timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
}

/**
 * Connects to ecusimd. Options: `credentials` (default insecure), `channelOptions` (grpc-js
 * channel options), `timeoutMs` (deadline of each unary call, default 30000; 0 = none),
 * `protoDir` (default $ECUSIM_PROTO_DIR or the repository's proto/).
 * The channel connects lazily; use `await client.ready()` to wait for it.
 */
function connect(target = DEFAULT_TARGET, options = {}) {
  const definition = loadDefinition(options.protoDir || protoDir());
  const credentials = options.credentials || grpc.credentials.createInsecure();
  const defaultTimeoutMs = options.timeoutMs ?? 30000;
  const raw = new grpc.Client(target, credentials, options.channelOptions || {});

  function unary(fullName, def) {
    return (request = {}, opts = {}) => new Promise((resolve, reject) => {
      raw.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request,
                           toMetadata(opts.metadata), callOptions(opts, defaultTimeoutMs),
                           (err, response) => (err ? reject(new EcusimError(fullName, err)) : resolve(response)));
    });
  }

  const client = { target, raw, services: {} };
  const openWatches = new Set();
  const aliases = new Map();
  for (const [serviceName, service] of Object.entries(ecusimServices(definition))) {
    const methods = {};
    for (const [methodName, def] of Object.entries(service)) {
      if (def.requestStream || def.responseStream) continue;
      methods[methodName] = unary(`${serviceName}.${methodName}`, def);
      const alias = lowerCamel(methodName);
      aliases.set(alias, aliases.has(alias) ? null : methods[methodName]);
    }
    client.services[serviceName] = methods;
  }
  // A flat alias only when exactly one service has the method; others stay under `services`.
  for (const [alias, fn] of aliases) {
    if (fn && !RESERVED.has(alias)) client[alias] = fn;
  }

  const watchDef = definition[`${PACKAGE}.ObserveService`].Watch;
  /**
   * Opens ObserveService.Watch. Returns an async iterator of WatchResponse messages (snapshot
   * observations, one `sync`, then live observations) with a `cancel()` method; leaving a
   * `for await` loop also cancels the call. Server errors are thrown as EcusimError.
   */
  client.watch = (request = {}, opts = {}) => {
    const call = raw.makeServerStreamRequest(watchDef.path, watchDef.requestSerialize,
                                             watchDef.responseDeserialize, request,
                                             toMetadata(opts.metadata), {});
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
      call.cancel();
    };
    openWatches.add(cancel);
    call.on('status', () => openWatches.delete(cancel));
    // Errors reach the consumer through the iterator; this listener keeps a late CANCELLED
    // status (after the consumer left the loop) from becoming an unhandled 'error' event.
    call.on('error', () => {});
    async function* iterate() {
      try {
        for await (const message of call) yield message;
      } catch (err) {
        if (cancelled && err.code === grpc.status.CANCELLED) return;
        throw err.code !== undefined ? new EcusimError('ObserveService.Watch', err) : err;
      } finally {
        cancel();
      }
    }
    const iterator = iterate();
    iterator.cancel = cancel;
    return iterator;
  };

  const health = definition[HEALTH_SERVICE].Check;
  /** grpc.health.v1 Check: resolves with the status name, e.g. 'SERVING'. */
  client.health = async (service = '', opts = {}) => {
    const reply = await unary('Health.Check', health)({ service }, opts);
    return reply.status;
  };

  /** Waits until the channel is connected (rejects after timeoutMs). */
  client.ready = (timeoutMs = 10000) => new Promise((resolve, reject) => {
    raw.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
  });

  /** Cancels open watches and closes the channel. */
  client.close = () => {
    for (const cancel of openWatches) cancel();
    openWatches.clear();
    raw.close();
  };
  return client;
}

module.exports = { connect, loadDefinition, EcusimError, DEFAULT_TARGET, status: grpc.status };
