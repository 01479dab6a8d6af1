"""ecusimd over gRPC: ECUs, scenarios, advertisements and the observation stream."""
import time
from typing import Dict, Iterator, List, Optional

import grpc

from ecusim.local import discover_local
from ecusim.v1 import advertisement_pb2 as adv
from ecusim.v1 import advertisement_pb2_grpc as adv_grpc
from ecusim.v1 import ecu_pb2, ecu_pb2_grpc
from ecusim.v1 import observe_pb2, observe_pb2_grpc


class Client:
    """One connection to ecusimd. RPC errors surface as grpc.RpcError (code and details
    name the field, as the control API documents)."""

    def __init__(self, target: str, timeout: float = 10.0):
        self.target = target
        self.timeout = timeout
        self.channel = grpc.insecure_channel(target)
        self.ecus = ecu_pb2_grpc.EcuServiceStub(self.channel)
        self.observe = observe_pb2_grpc.ObserveServiceStub(self.channel)
        self.adverts = adv_grpc.AdvertisementServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def wait_ready(self, timeout: Optional[float] = None):
        grpc.channel_ready_future(self.channel).result(timeout=timeout or self.timeout)
        return self

    # ECUs -------------------------------------------------------------------------------
    def create_ecu(self, ecu_id: str, address: str, interface: str = "",
                   labels: Optional[Dict[str, str]] = None) -> ecu_pb2.Ecu:
        ecu = ecu_pb2.Ecu(id=ecu_id, address=address, interface=interface, labels=labels or {})
        return self.ecus.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu), timeout=self.timeout)

    def get_ecu(self, ecu_id: str) -> ecu_pb2.Ecu:
        return self.ecus.GetEcu(ecu_pb2.GetEcuRequest(ecu_id=ecu_id), timeout=self.timeout)

    def list_ecus(self) -> List[ecu_pb2.Ecu]:
        out, token = [], ""
        while True:
            page = self.ecus.ListEcus(ecu_pb2.ListEcusRequest(page_token=token),
                                      timeout=self.timeout)
            out.extend(page.ecus)
            token = page.next_page_token
            if not token:
                return out

    def delete_ecu(self, ecu_id: str) -> None:
        self.ecus.DeleteEcu(ecu_pb2.DeleteEcuRequest(ecu_id=ecu_id), timeout=self.timeout)

    def apply_scenario(self, scenario: ecu_pb2.Scenario, prune: bool = False,
                       validate_only: bool = False) -> ecu_pb2.ApplyScenarioResponse:
        return self.ecus.ApplyScenario(
            ecu_pb2.ApplyScenarioRequest(scenario=scenario, prune=prune,
                                         validate_only=validate_only), timeout=self.timeout)

    # Advertisements ---------------------------------------------------------------------
    def register(self, service_name: str, service_type: str, address: str,
                 properties: Optional[Dict[str, Optional[str]]] = None,
                 uuid: str = "") -> adv.Advertisement:
        """Advertises a service in ecusimd's name; a None property value is written as null."""
        properties = properties or {}
        a = adv.Advertisement(
            service_name=service_name, service_type=service_type, address=address, uuid=uuid,
            properties={k: v for k, v in properties.items() if v is not None},
            null_properties=[k for k, v in properties.items() if v is None])
        return self.adverts.Register(adv.RegisterRequest(advertisement=a), timeout=self.timeout)

    def unregister(self, uuid: str) -> None:
        self.adverts.Unregister(adv.UnregisterRequest(uuid=uuid), timeout=self.timeout)

    def discover(self, service_type: str,
                 properties: Optional[Dict[str, Optional[str]]] = None) -> List[adv.Advertisement]:
        properties = properties or {}
        req = adv.DiscoverRequest(
            service_type=service_type,
            properties={k: v for k, v in properties.items() if v is not None},
            absent_properties=[k for k, v in properties.items() if v is None])
        return list(self.adverts.Discover(req, timeout=self.timeout).advertisements)

    # Observations -----------------------------------------------------------------------
    def watch(self, kinds: Optional[List[str]] = None, ecu_ids: Optional[List[str]] = None,
              snapshot: bool = True, timeout: Optional[float] = None,
              queue_size: int = 0) -> Iterator[observe_pb2.Observation]:
        """Yields observations: the snapshot of current state first (unless snapshot=False),
        then live changes, until `timeout` seconds have passed (None = until the caller
        stops iterating). Stopping the iteration cancels the stream."""
        call = self.observe.Watch(observe_pb2.WatchRequest(
            kind_prefixes=kinds or [], ecu_ids=ecu_ids or [], queue_size=queue_size),
            timeout=timeout)
        synced = False
        try:
            for item in call:
                if item.HasField("sync"):
                    synced = True
                elif item.HasField("observation") and (snapshot or synced):
                    yield item.observation
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
        finally:
            call.cancel()


def connect(target: Optional[str] = None, timeout: float = 10.0, root=None) -> Client:
    """A ready Client. Without `target`, uses the ecusimd advertised on this host (type
    "ecusim", started with --advertise), waiting up to `timeout` for one to appear."""
    if target is None:
        deadline = time.monotonic() + timeout
        while True:
            found = discover_local("ecusim", root=root)
            if found:
                target = found[0].address.removeprefix("grpc://")
                break
            if time.monotonic() >= deadline:
                raise TimeoutError("no ecusimd advertised on this host (start it with "
                                   "--advertise, or pass a target)")
            time.sleep(0.1)
    return Client(target, timeout).wait_ready()
