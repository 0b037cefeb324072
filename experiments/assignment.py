"""Random assignment of panel members to the four arms of the 2×2 nudge experiment.

The arm is drawn once, at the member's first opening, and committed before any nudge is
shown; it never changes afterwards. Allocation follows the wave's frozen design
(`experiments.design`), never the live wave fields, so editing a wave after it opened
cannot move anybody.

Schemes
-------
*Stratified permuted blocks* (the default). Members are grouped into strata by the
panel-record attributes the council chose (none, ward, age band, gender or a combination).
Each stratum has its own sequence of blocks; each block holds every arm equally often and
its size is drawn at random from {4, 8}, so the next arm cannot be guessed from the last
ones. The n-th member of a stratum to open gets the n-th entry of the stratum's sequence.

*Simple*. The arm is HMAC-SHA256(seed, member id) reduced modulo 4: stateless and
reproducible, but without any balance guarantee.

*Cluster*. Members sharing a `household_key` share an arm. Households are the units
allocated by permuted blocks (within strata, if any); a member without a household key is
a household of one. The first member of a household to open allocates it.

The generator
-------------
Every stratum's sequence comes from a deterministic random bit generator in counter mode,
so it can be re-derived by anyone holding the seed:

1. ``key = HMAC-SHA256(seed as UTF-8 bytes, "surveyplatform/blocks/v1|" + stratum)``
2. The byte stream is ``HMAC-SHA256(key, 0) || HMAC-SHA256(key, 1) || …`` with the
   counter as 8 bytes big-endian.
3. ``randbelow(n)`` reads the next 4 bytes as a big-endian unsigned integer ``u`` and
   returns ``u % n``, rejecting (and reading again) when ``u >= 2**32 - 2**32 % n`` so that
   every value is exactly equally likely.
4. Each block: ``size = (4, 8)[randbelow(2)]``; its contents are the arms in the order
   A+B, A, B, none repeated ``size // 4`` times, shuffled by Fisher–Yates: for ``i`` from
   ``size - 1`` down to 1, swap entry ``i`` with entry ``randbelow(i + 1)``.

Concurrency
-----------
Within a stratum, allocations are serialised by a row lock on the stratum's
`AllocationState`, which counts the units already allocated: taken by the upsert that
increments the count (``INSERT … ON CONFLICT DO UPDATE``, or ``SELECT … FOR UPDATE`` for
households) and held only for that statement, the assignment's insert and the commit. The
lock lives in the database, so it holds across threads, processes and machines; different
strata proceed in parallel. The unique constraints on (wave, member) and (wave, household) are
the backstop: a member who opens twice at once gets the row the first opening wrote.
"""

import hashlib
import hmac
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from experiments.models import (
    AllocationScheme,
    AllocationState,
    Arm,
    Assignment,
    ClusterAllocation,
    Wave,
    WaveStatus,
)
from experiments.models.allocation import ARM_ORDER, BLOCK_SIZES
from panel.models import PanelMember

STRATUM_ATTRIBUTES = ("ward", "age_band", "gender")
_DOMAIN = b"surveyplatform/blocks/v1|"


def simple_arm(seed: str, member_id: int) -> Arm:
    """Pick an arm from HMAC-SHA256(seed, member id): stateless and reproducible."""
    digest = hmac.new(seed.encode(), str(member_id).encode(), hashlib.sha256).digest()
    return ARM_ORDER[int.from_bytes(digest[:8], "big") % len(ARM_ORDER)]


class BlockGenerator:
    """The HMAC-SHA256 counter-mode generator of one stratum (see the module docstring)."""

    def __init__(self, seed: str, stratum: str) -> None:
        self._key = hmac.new(seed.encode(), _DOMAIN + stratum.encode(), hashlib.sha256).digest()
        self._counter = 0
        self._buffer = b""

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            block = hmac.new(self._key, self._counter.to_bytes(8, "big"), hashlib.sha256)
            self._buffer += block.digest()
            self._counter += 1
        taken, self._buffer = self._buffer[:count], self._buffer[count:]
        return taken

    def randbelow(self, n: int) -> int:
        """Return a uniform integer in [0, n), without modulo bias."""
        limit = 2**32 - (2**32 % n)
        while True:
            value = int.from_bytes(self._take(4), "big")
            if value < limit:
                return value % n

    def next_block(self) -> list[Arm]:
        size = BLOCK_SIZES[self.randbelow(len(BLOCK_SIZES))]
        block = list(ARM_ORDER) * (size // len(ARM_ORDER))
        for i in range(size - 1, 0, -1):
            j = self.randbelow(i + 1)
            block[i], block[j] = block[j], block[i]
        return block


def blocks(seed: str, stratum: str) -> Iterator[list[Arm]]:
    """Yield the stratum's blocks in order, for ever."""
    generator = BlockGenerator(seed, stratum)
    while True:
        yield generator.next_block()


@dataclass(frozen=True)
class Slot:
    """One entry of a stratum's sequence: block number (from 1), position in it (from 1)."""

    block: int
    position: int
    arm: Arm


class _Sequence:
    """The slots of one stratum generated so far, extended on demand."""

    def __init__(self, seed: str, stratum: str) -> None:
        self.blocks = blocks(seed, stratum)
        self.slots: list[Slot] = []

    def slot(self, index: int) -> Slot:
        while len(self.slots) <= index:
            number = self.slots[-1].block if self.slots else 0
            block = next(self.blocks)
            self.slots.extend(Slot(number + 1, p, arm) for p, arm in enumerate(block, 1))
        return self.slots[index]


# The sequences are pure functions of (seed, stratum), so caching them per process is safe:
# it saves regenerating them and holds no allocation state (that lives in the database).
_sequences: OrderedDict[tuple[str, str], _Sequence] = OrderedDict()
_sequences_lock = threading.Lock()


def sequence_slot(seed: str, stratum: str, index: int) -> Slot:
    """Return the slot of the index-th unit (from 0) allocated in the stratum."""
    with _sequences_lock:
        sequence = _sequences.pop((seed, stratum), None) or _Sequence(seed, stratum)
        _sequences[(seed, stratum)] = sequence
        while len(_sequences) > 256:
            _sequences.popitem(last=False)
        return sequence.slot(index)


def stratum_of(member: PanelMember, attributes: list[str]) -> str:
    """Return the stratum label of a member: the chosen attributes as compact sorted JSON."""
    values = {name: getattr(member, name) or "" for name in attributes}
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cluster_of(member: PanelMember) -> str:
    """Return the allocated unit of a member in the cluster scheme."""
    return f"household:{member.household_key}" if member.household_key else f"member:{member.pk}"


class AllocationError(Exception):
    """The wave cannot allocate members in its present state."""


def assign_member(wave: Wave, *, member: PanelMember) -> Assignment:
    """Return the member's assignment in the wave, drawing and storing it on first call."""
    existing = Assignment.objects.filter(wave=wave, member=member).first()
    if existing is not None:
        return existing
    from experiments.design import ensure_design_frozen

    # Read afresh, never from the caller's copy: the status, design and seed as stored.
    # Only the design's two keys allocating reads: the whole frozen design is large.
    status, design_hash, allocation, experiment_on, seed = Wave.objects.values_list(
        "status", "design_hash", "design__allocation", "design__experiment_on", "seed"
    ).get(pk=wave.pk)
    if status == WaveStatus.DRAFT:
        # Allocating would freeze a design the council is still editing.
        raise AllocationError("A draft wave allocates nobody; open it first.")
    if not design_hash:
        design_hash, design = ensure_design_frozen(wave)
        allocation, experiment_on = design["allocation"], design["experiment_on"]
    if allocation["scheme"] == AllocationScheme.EXTERNAL:
        # Its groups were allocated elsewhere and arrive with the imported answers.
        raise AllocationError("A wave randomised elsewhere takes its groups from the import.")
    fields = {"design_hash": design_hash}
    if not experiment_on:
        return _store(wave, member, arm=Arm.NONE, scheme=AllocationScheme.OFF, **fields)
    scheme = allocation["scheme"]
    if scheme == AllocationScheme.SIMPLE:
        arm = simple_arm(seed, member.pk)
        return _store(wave, member, arm=arm, scheme=scheme, **fields)
    stratum = stratum_of(member, allocation["strata"])
    try:
        if scheme == AllocationScheme.CLUSTER:
            return _assign_cluster(wave, member, seed=seed, stratum=stratum, **fields)
        return _assign_in_blocks(wave, member, seed=seed, stratum=stratum, **fields)
    except IntegrityError:
        # Two openings of the same member at once: the other opening's row stands, and
        # this transaction, rolled back, consumed no slot.
        return Assignment.objects.get(wave=wave, member=member)


def _store(wave: Wave, member: PanelMember, **fields) -> Assignment:
    try:
        with transaction.atomic():
            return Assignment.objects.create(wave=wave, member=member, **fields)
    except IntegrityError:
        # A concurrent first opening won the race; its arm is the member's arm.
        return Assignment.objects.get(wave=wave, member=member)


def _locked_state(wave: Wave, stratum: str) -> AllocationState:
    # Create the stratum's row first (the unique constraint settles a race to create it),
    # then lock it for the rest of the caller's transaction.
    AllocationState.objects.get_or_create(wave=wave, stratum=stratum)
    return AllocationState.objects.select_for_update().get(wave=wave, stratum=stratum)


def _take_slot(wave: Wave, stratum: str) -> int:
    """Count one more unit in the stratum and return its index (from 0), in one statement.

    The upsert creates the stratum's row at its first allocation, and otherwise locks and
    increments it: the lock is taken and held until the caller's transaction ends, so the
    critical section is this statement, one insert and the commit.
    """
    table = AllocationState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (wave_id, stratum, allocated) VALUES (%s, %s, 1)
            ON CONFLICT (wave_id, stratum) DO UPDATE SET allocated = {table}.allocated + 1
            RETURNING allocated
            """,
            [wave.pk, stratum],
        )
        (allocated,) = cursor.fetchone()
    return allocated - 1


def _assign_in_blocks(
    wave: Wave, member: PanelMember, *, seed: str, stratum: str, design_hash: str
) -> Assignment:
    # Everything that does not need the lock (the design, the seed, the member's stratum,
    # the sequence's cache) was read before. A concurrent opening of the same member that
    # committed while this one waited makes the insert fail on (wave, member): the whole
    # transaction rolls back, the count with it, and the caller reads the stored row.
    with transaction.atomic():
        index = _take_slot(wave, stratum)
        slot = sequence_slot(seed, stratum, index)
        return Assignment.objects.create(
            wave=wave,
            member=member,
            arm=slot.arm,
            scheme=AllocationScheme.BLOCKS,
            stratum=stratum,
            block=slot.block,
            position_in_block=slot.position,
            design_hash=design_hash,
        )


def _assign_cluster(
    wave: Wave, member: PanelMember, *, seed: str, stratum: str, design_hash: str
) -> Assignment:
    cluster = cluster_of(member)
    with transaction.atomic():
        allocation = ClusterAllocation.objects.filter(wave=wave, cluster=cluster).first()
        if allocation is None:
            allocation = _allocate_cluster(wave, cluster, seed=seed, stratum=stratum)
        return _store(
            wave,
            member,
            arm=allocation.arm,
            scheme=AllocationScheme.CLUSTER,
            cluster=cluster,
            stratum=allocation.stratum,
            block=allocation.block,
            position_in_block=allocation.position_in_block,
            design_hash=design_hash,
        )


def _allocate_cluster(wave: Wave, cluster: str, *, seed: str, stratum: str) -> ClusterAllocation:
    state = _locked_state(wave, stratum)
    existing = ClusterAllocation.objects.filter(wave=wave, cluster=cluster).first()
    if existing is not None:
        return existing
    slot = sequence_slot(seed, stratum, state.allocated)
    try:
        with transaction.atomic():
            allocation = ClusterAllocation.objects.create(
                wave=wave,
                cluster=cluster,
                arm=slot.arm,
                stratum=stratum,
                block=slot.block,
                position_in_block=slot.position,
            )
    except IntegrityError:
        # A household member in another stratum allocated the household first (their
        # panel records disagree on the stratum); the slot here stays unused.
        return ClusterAllocation.objects.get(wave=wave, cluster=cluster)
    state.allocated += 1
    state.save(update_fields=["allocated"])
    return allocation


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the allocation log and its re-derivation."""

    wave_id: int
    subject: str
    problem: str


def allocation_verifiable(wave: Wave) -> bool:
    """Return whether the platform drew the wave's groups and so can re-derive them."""
    from experiments.randomised_elsewhere import is_randomised_elsewhere

    return not is_randomised_elsewhere(wave)


def verify_wave_allocation(wave: Wave) -> list[Mismatch]:
    """Re-derive every allocation of the wave from its seed and log; return disagreements.

    A wave randomised elsewhere has nothing to re-derive (`allocation_verifiable`): only
    its design's hash and that every assignment was imported under it are checked.

    Check the recorded design against its hash and the seed against the design's
    commitment, then every assignment against the frozen scheme: the keyed hash for the
    simple scheme; for permuted blocks (and households in the cluster scheme) the arm at
    the recorded block and position of the stratum's sequence, each slot used once, the
    slots used forming an unbroken prefix, and the stratum's count matching them.
    """
    problems: list[Mismatch] = []

    def report(subject: str, problem: str) -> None:
        problems.append(Mismatch(wave.pk, subject, problem))

    from experiments.design import design_hash

    assignments = list(Assignment.objects.filter(wave=wave).order_by("pk"))
    if not wave.design_hash:
        if assignments:
            report("wave", "has assignments but no frozen design")
        return problems
    if design_hash(wave.design) != wave.design_hash:
        report("wave", "the recorded design does not match its hash")
    allocation = wave.design["allocation"]
    if allocation["scheme"] == AllocationScheme.EXTERNAL:
        # Nothing here drew these groups, so there is nothing to re-derive: only that every
        # assignment was imported under this design.
        for a in assignments:
            subject = f"assignment #{a.pk} (member #{a.member_id})"
            if a.design_hash != wave.design_hash:
                report(subject, f"design hash {a.design_hash!r} is not the wave's")
            if a.scheme != AllocationScheme.EXTERNAL:
                report(subject, f"scheme {a.scheme!r}, the design says 'external'")
        return problems
    if hashlib.sha256(wave.seed.encode()).hexdigest() != allocation["seed_sha256"]:
        report("wave", "the seed does not match the design's commitment")
    experiment_on = wave.design["experiment_on"]
    scheme = allocation["scheme"] if experiment_on else AllocationScheme.OFF
    units: dict[str, list[tuple[str, int | None, int | None, str]]] = defaultdict(list)
    clusters = {c.cluster: c for c in ClusterAllocation.objects.filter(wave=wave)}
    for a in assignments:
        subject = f"assignment #{a.pk} (member #{a.member_id})"
        if a.design_hash != wave.design_hash:
            report(subject, f"design hash {a.design_hash!r} is not the wave's")
        if a.scheme != scheme:
            report(subject, f"scheme {a.scheme!r}, the design says {scheme!r}")
        if scheme == AllocationScheme.OFF:
            expected = Arm.NONE
        elif scheme == AllocationScheme.SIMPLE:
            expected = simple_arm(wave.seed, a.member_id)
        elif scheme == AllocationScheme.CLUSTER:
            cluster = clusters.get(a.cluster)
            if cluster is None:
                report(subject, f"household {a.cluster!r} has no allocation")
                continue
            expected = cluster.arm
            recorded = (a.stratum, a.block, a.position_in_block)
            if recorded != (cluster.stratum, cluster.block, cluster.position_in_block):
                report(subject, "stratum, block or position differ from its household's")
        else:
            units[a.stratum].append((subject, a.block, a.position_in_block, a.arm))
            continue
        if a.arm != expected:
            report(subject, f"arm {a.arm!r}, re-derived {expected.value!r}")
    if scheme == AllocationScheme.CLUSTER:
        for c in clusters.values():
            units[c.stratum].append(
                (f"household {c.cluster!r}", c.block, c.position_in_block, c.arm)
            )
    states = dict(AllocationState.objects.filter(wave=wave).values_list("stratum", "allocated"))
    for stratum, entries in units.items():
        _verify_stratum(wave, stratum, entries, states.get(stratum, 0), report)
    return problems


def _verify_stratum(
    wave: Wave,
    stratum: str,
    entries: list[tuple[str, int | None, int | None, str]],
    allocated: int,
    report: Callable[[str, str], None],
) -> None:
    used: set[tuple[int, int]] = set()
    last_block = max((block or 0 for _, block, _, _ in entries), default=0)
    slots = {}
    for number, block in enumerate(blocks(wave.seed, stratum), start=1):
        if number > last_block:
            break
        slots.update({(number, p): arm for p, arm in enumerate(block, 1)})
    for subject, block, position, arm in entries:
        slot = (block, position)
        if slot not in slots:
            report(subject, f"block {block} position {position} is not in stratum {stratum}")
            continue
        if slot in used:
            report(subject, f"block {block} position {position} of {stratum} is used twice")
        used.add(slot)
        if arm != slots[slot]:
            report(subject, f"arm {arm!r}, re-derived {slots[slot].value!r}")
    prefix = set(list(slots)[: len(used)])
    if used != prefix:
        report(f"stratum {stratum}", "the slots used leave a gap in the sequence")
    if allocated != len(entries):
        report(f"stratum {stratum}", f"counts {allocated} allocations, the log has {len(entries)}")
