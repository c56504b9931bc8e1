"""One run over several processes (hosts), the way Keras documents it.

Every process runs the same command. Keras's variables say who is who
(``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES``,
``KERAS_DISTRIBUTION_PROCESS_ID``; the train command's ``--job-addresses``,
``--num-processes`` and ``--process-id`` set them), and
``keras.distribution.initialize`` joins the processes before any computation: on JAX,
``jax.distributed.initialize`` with the first address as the coordinator. The run is
then data parallel over every device of every process (``keras.distribution.DataParallel``
over the global device list); each process reads its own contiguous share of every batch.

Process 0 owns the run directory: it holds the lock and writes the backups, the history,
the model and the record. The others hold no lock and write nothing there; they read the
run's state from it when they start, so a multi-process run whose processes are all
started again (after one was killed) resumes from process 0's last backup.

TensorFlow's ``MultiWorkerMirroredStrategy`` would need its own cluster description and
collective setup; one run over several processes is JAX only here, and asking for it on
another backend is a one-line error naming JAX.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from neurn_keras.errors import ArgumentError

ADDRESSES_VAR = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
COUNT_VAR = "KERAS_DISTRIBUTION_NUM_PROCESSES"
INDEX_VAR = "KERAS_DISTRIBUTION_PROCESS_ID"
BIND_VAR = "JAX_COORDINATOR_BIND_ADDRESS"


@dataclass(frozen=True)
class Processes:
    """The processes of one run and which of them this one is.

    Attributes:
        count: how many processes train the run together (1: this one alone).
        index: this process's number, 0 to ``count - 1``; 0 owns the run directory.
        addresses: ``host:port`` of every process, or of the coordinator (process 0)
            alone.
    """

    count: int = 1
    index: int = 0
    addresses: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        return self.count > 1

    @property
    def owner(self) -> bool:
        """Whether this process owns the run directory (process 0)."""
        return self.index == 0

    def share(self, items: int) -> slice:
        """This process's contiguous share of a batch of ``items`` (a multiple of ``count``)."""
        size = items // self.count
        return slice(self.index * size, (self.index + 1) * size)

    def check(self) -> Processes:
        """Raises ``ArgumentError`` naming the bad setting; returns self."""
        if self.count < 1:
            raise ArgumentError("num_processes", self.count, "must be >= 1")
        if not 0 <= self.index < self.count:
            raise ArgumentError("process_id", self.index, f"must be between 0 and {self.count - 1}")
        if self.several and not self.addresses:
            raise ArgumentError(
                "job_addresses",
                None,
                "a run over several processes needs the coordinator's host:port (process 0)",
            )
        if self.addresses and len(self.addresses) not in (1, self.count):
            raise ArgumentError(
                "job_addresses",
                ",".join(self.addresses),
                f"give the coordinator alone or all {self.count} processes' addresses",
            )
        for address in self.addresses:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise ArgumentError("job_addresses", address, "expected host:port")
        return self


def from_environment(environ: Mapping[str, str] | None = None) -> Processes:
    """The ``Processes`` Keras's variables describe (one process when they are unset)."""
    environ = os.environ if environ is None else environ
    try:
        count = int(environ.get(COUNT_VAR, "1"))
        index = int(environ.get(INDEX_VAR, "0"))
    except ValueError as error:
        raise ArgumentError(
            "num_processes", environ.get(COUNT_VAR), f"{COUNT_VAR} and {INDEX_VAR} are integers"
        ) from error
    addresses = tuple(a for a in environ.get(ADDRESSES_VAR, "").split(",") if a)
    return Processes(count, index, addresses).check()


def set_environment(processes: Processes, environ: dict | None = None) -> None:
    """Writes ``processes`` into Keras's variables (what the train command's flags do)."""
    environ = os.environ if environ is None else environ
    environ[COUNT_VAR] = str(processes.count)
    environ[INDEX_VAR] = str(processes.index)
    if processes.addresses:
        environ[ADDRESSES_VAR] = ",".join(processes.addresses)


def is_loopback(address: str) -> bool:
    """Whether ``host:port`` names this machine's loopback interface."""
    host = address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def join(processes: Processes) -> None:
    """Joins the run's processes (``keras.distribution.initialize``); nothing for one.

    Call it before any computation of the backend. A coordinator on a loopback address
    listens on that address only (``JAX_COORDINATOR_BIND_ADDRESS``), so nothing beyond
    this machine can reach it; on a host's address it listens as JAX does by default.
    """
    if not processes.several:
        return
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise ArgumentError(
            "num_processes",
            processes.count,
            f"one run over several processes needs KERAS_BACKEND=jax (the backend is "
            f"{backend}); on {backend}, train on one process (--distribute uses its local "
            "devices)",
        )
    coordinator = processes.addresses[0]
    if is_loopback(coordinator):
        os.environ.setdefault(BIND_VAR, coordinator)
    keras.distribution.initialize(",".join(processes.addresses), processes.count, processes.index)
