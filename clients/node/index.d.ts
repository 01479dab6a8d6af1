// Hand-written typings for ecusim-client. Messages use the .proto field names (keepCase),
// 64-bit integers as strings, enums as their names, and every field present (defaults).
// EcuService, ObserveService and health are typed here; the module services (SOME/IP, DoIP,
// digital object, advertisement) are loaded from the .proto files at run time and typed
// loosely under `services` (their flat aliases exist at run time too).

import type { ChannelCredentials, ChannelOptions, Client, Metadata, status } from '@grpc/grpc-js';

export interface CallOptions {
  /** Deadline of this call in ms; overrides ConnectOptions.timeoutMs; 0 = none. */
  timeoutMs?: number;
  metadata?: Metadata | Record<string, string>;
}

export type UnaryRpc<Req = any, Res = any> =
  (request?: Req, options?: CallOptions) => Promise<Res>;

/** A failed RPC. `code` is the gRPC status name, e.g. 'NOT_FOUND'. */
export class EcusimError extends Error {
  name: 'EcusimError';
  code: string;
  details: string;
  grpcCode: number;
  /** 'Service.Method', e.g. 'EcuService.GetEcu'. */
  method: string;
  metadata: Metadata;
}

export interface Timestamp {
  seconds: string;
  nanos: number;
}

export interface Ecu {
  id: string;
  address: string;
  interface: string;
  labels: Record<string, string>;
  shard: number;
}

export interface CreateEcuRequest { ecu: Partial<Ecu>; }
export interface GetEcuRequest { ecu_id: string; }
export interface DeleteEcuRequest { ecu_id: string; }
export interface ListEcusRequest { page_size?: number; page_token?: string; }
export interface ListEcusResponse { ecus: Ecu[]; next_page_token: string; }

export interface ApplyScenarioRequest {
  scenario: { name?: string; ecus: Array<Record<string, unknown>> };
  prune?: boolean;
  validate_only?: boolean;
}
export interface ApplyScenarioResponse {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

export interface Observation {
  kind: string;
  ecu_id: string;
  resource: string;
  time: Timestamp | null;
  attributes: Record<string, string>;
  snapshot: boolean;
}

export interface WatchRequest {
  kind_prefixes?: string[];
  ecu_ids?: string[];
  queue_size?: number;
}

export type WatchResponse =
  | { item: 'observation'; observation: Observation; sync: null; dropped: string }
  | { item: 'sync'; observation: null; sync: { snapshot_count: string }; dropped: string };

export interface GetStatsResponse {
  version: string;
  commit: string;
  ecus: number;
  shards: number;
  observations_published: string;
  observations_dropped: string;
  watchers: number;
  uptime_seconds: number;
}

/** Async iterator over Watch messages; leaving `for await` or cancel() ends the call. */
export interface WatchStream extends AsyncGenerator<WatchResponse, void, undefined> {
  cancel(): void;
}

export type EcuServiceRpcs = {
  CreateEcu: UnaryRpc<CreateEcuRequest, Ecu>;
  GetEcu: UnaryRpc<GetEcuRequest, Ecu>;
  ListEcus: UnaryRpc<ListEcusRequest, ListEcusResponse>;
  DeleteEcu: UnaryRpc<DeleteEcuRequest, Record<string, never>>;
  ApplyScenario: UnaryRpc<ApplyScenarioRequest, ApplyScenarioResponse>;
};

export type ObserveServiceRpcs = {
  GetStats: UnaryRpc<Record<string, never>, GetStatsResponse>;
};

export interface EcusimClient {
  readonly target: string;
  /** The underlying grpc-js client (one channel), for streaming RPCs not wrapped here. */
  readonly raw: Client;
  /** Every unary RPC of every ecusim.v1 service, by service and method name. */
  readonly services: {
    EcuService: EcuServiceRpcs;
    ObserveService: ObserveServiceRpcs;
    [service: string]: Record<string, UnaryRpc>;
  };
  // Flat lowerCamel aliases of method names that only one service has.
  createEcu: EcuServiceRpcs['CreateEcu'];
  getEcu: EcuServiceRpcs['GetEcu'];
  listEcus: EcuServiceRpcs['ListEcus'];
  deleteEcu: EcuServiceRpcs['DeleteEcu'];
  applyScenario: EcuServiceRpcs['ApplyScenario'];
  getStats: ObserveServiceRpcs['GetStats'];

  watch(request?: WatchRequest, options?: Pick<CallOptions, 'metadata'>): WatchStream;
  /** grpc.health.v1 Check: 'SERVING', 'NOT_SERVING', ... */
  health(service?: string, options?: CallOptions): Promise<string>;
  /** Resolves once the channel is connected; rejects after timeoutMs (default 10000). */
  ready(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface ConnectOptions {
  /** Default: insecure. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  /** Deadline of each unary call in ms; default 30000; 0 = none. */
  timeoutMs?: number;
  /** Directory holding ecusim/v1/*.proto; default $ECUSIM_PROTO_DIR or the repo's proto/. */
  protoDir?: string;
}

export const DEFAULT_TARGET: string;
export function connect(target?: string, options?: ConnectOptions): EcusimClient;
export function loadDefinition(protoDir?: string, grpcProtoDir?: string): Record<string, unknown>;
export { status };
