"""Deferred pruning: the trie nodes and key history every not-yet-final state needs.

A fault proof needs the pre-state of any disputed batch, i.e. the state at any L2 block
whose root is not final on L1. So a block's *dead* trie nodes (committed nodes its new
root no longer references) are not deleted when it commits: they are recorded under the
block that made them dead, in the block's own write transaction, and deleted only once
the store is told that a block at or after it is final (``BlockStore.finalized_through``).
Until then every state from the finalized-through block ``F`` to the head can be read
(``BlockStore.state_backend_at``).

Three sub-databases (keys and values are bytes; ``block`` is 8 bytes, big-endian):

| sub-database | key | value |
|---|---|---|
| ``pending``    | block ‖ ``b"k"`` | RLP list of the state keys ``block`` created or deleted |
| ``pending``    | block ‖ ``b"n"`` | the hashes (32 bytes each, concatenated) of the nodes ``block`` made dead |
| ``pending``    | block ‖ ``b"r"`` | the hashes of the stored nodes ``block`` re-created |
| ``revived``    | node hash (32) | block: the latest block that re-created the node |
| ``key_log``    | state key ‖ block | ``b"\\x01"``: the key existed before ``block`` (deleted by it); ``b"\\x00"``: created by it |

**Re-created nodes.** Nodes are stored by hash, so a node made dead by block ``B`` and
re-created, byte for byte, by a later block ``C`` (a value set back, a price level emptied
and refilled: it happens in ordinary trading) is the same entry, and is reachable from
``C``'s root. Re-creation is seen at commit: a block writing a node that is already stored
(deferred pruning has not deleted it) records it in ``revived`` under ``C``. Pruning
``B``'s record of node ``X`` deletes ``X`` only if no block after ``B`` re-created it
(``revived[X]``, if any, is not later than ``B``); pruning ``C``'s record clears
``revived[X]`` if it is still ``C``. So a node is deleted only once the last block that
made it dead is final: after ``C`` re-created it, only a later death ``D > C`` (recorded
under ``D``) can delete it, when ``D`` is final. A block writes at most three
``pending`` entries (appended: their keys start with the block number), one ``revived``
entry per re-created node and one ``key_log`` entry per created or deleted key. Like ``node.stf.mpt.lazy``, this assumes no two positions of one trie
hold the same hashed node at once (in a trie keyed by keccak-256 that takes two keys whose
hashes share their last 50-odd nibbles).

**Key history** (``key_log``) answers ``keys_with_prefix`` at an older block: the head's
flat state, corrected by the first logged change after that block of every key that has
one (see ``keys_at``). Only changes of existence are logged (a created or deleted key),
not value updates: values are read from the trie, proven against the block's root.

**Pruning** (``prune``) walks ``pending`` in block order and handles the lists of
blocks ``<= F``, whole lists, until ``budget`` items are handled in one write transaction
(a chunk exceeds it by at most one list, bounded by a block's size), so finalising a long
range never stalls a block for long. A crash keeps every list (they are committed with their
block); ``F`` is in ``meta`` and only grows.

Nothing here opens transactions: ``BlockStore`` calls these functions inside its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Iterable, Sequence

import lmdb
import rlp

DEAD_NODE: Final = b"n"
REVIVED_NODE: Final = b"r"
KEY_CHANGE: Final = b"k"
CREATED: Final = b"\x00"
DELETED: Final = b"\x01"
BLOCK_BYTES: Final = 8
HASH_BYTES: Final = 32
PRUNE_BUDGET: Final = 20_000  # items (nodes, keys) per prune transaction: tens of milliseconds of deletes


@dataclass(frozen=True, slots=True)
class Tables:
    """The LMDB handles retention works on."""

    trie: object
    pending: object
    revived: object
    key_log: object


def block_key(number: int) -> bytes:
    return number.to_bytes(BLOCK_BYTES, "big")


def record_block(txn: lmdb.Transaction, t: Tables, number: int, dead_nodes: Iterable[bytes],
                 created: Sequence[bytes], deleted: Sequence[bytes]) -> None:
    """Record what block ``number`` made dead (nodes) and whose existence it changed (keys)."""
    tag = block_key(number)
    cursor = txn.cursor(db=t.pending)  # keys start with the block number: appends ("k" < "n" < "r")
    if created or deleted:
        cursor.put(tag + KEY_CHANGE, rlp.encode([*created, *deleted]), append=True)
        log = [(key + tag, CREATED) for key in created] + [(key + tag, DELETED) for key in deleted]
        txn.cursor(db=t.key_log).putmulti(sorted(log))
    dead = b"".join(dead_nodes)
    if dead:
        cursor.put(tag + DEAD_NODE, dead, append=True)


def write_nodes(txn: lmdb.Transaction, t: Tables, number: int, nodes: Sequence[tuple[bytes, bytes]]) -> None:
    """Store block ``number``'s new trie nodes (sorted by hash); record those already stored
    as re-created by it (see module docstring)."""
    put = txn.cursor(db=t.trie).put
    revived = [node_hash for node_hash, encoded in nodes if not put(node_hash, encoded, overwrite=False)]
    if revived:
        tag = block_key(number)
        txn.cursor(db=t.pending).put(tag + REVIVED_NODE, b"".join(revived), append=True)
        txn.cursor(db=t.revived).putmulti([(node_hash, tag) for node_hash in revived])


def prune(txn: lmdb.Transaction, t: Tables, through: int, budget: int = PRUNE_BUDGET) -> int:
    """Handle the pending lists of blocks ``<= through``, oldest first, until ``budget``
    items are handled: delete the nodes still dead since then, forget re-creations and key
    history; returns the items handled (0: nothing was due)."""
    cursor = txn.cursor(db=t.pending)
    done = 0
    if not cursor.first():
        return 0
    while done < budget:
        key = cursor.key()
        if not key or int.from_bytes(key[:BLOCK_BYTES], "big") > through:
            break
        tag, kind, value = key[:BLOCK_BYTES], key[BLOCK_BYTES:], cursor.value()
        if kind == KEY_CHANGE:
            items = rlp.decode(value)
            for state_key in items:
                txn.delete(state_key + tag, db=t.key_log)
        else:
            items = [value[i:i + HASH_BYTES] for i in range(0, len(value), HASH_BYTES)]
            if kind == DEAD_NODE:
                for node_hash in items:
                    revived = txn.get(node_hash, db=t.revived)
                    if revived is None or revived <= tag:  # not re-created since this block
                        txn.delete(node_hash, db=t.trie)
            else:  # REVIVED_NODE
                for node_hash in items:
                    if txn.get(node_hash, db=t.revived) == tag:
                        txn.delete(node_hash, db=t.revived)
        done += max(len(items), 1)
        if not cursor.delete():  # moves to the next entry; False when none is left
            break
    return done


def keys_at(txn: lmdb.Transaction, state_db: object, t: Tables, prefix: bytes, number: int) -> list[bytes]:
    """The state keys starting with ``prefix`` that existed after block ``number``, ascending.

    The head's flat state, then for every key with a logged change after ``number`` the
    first such change decides: a key deleted later existed, a key created later did not.
    Needs the key log of every block after ``number`` (the caller checks ``number`` is not
    older than the finalized-through block).
    """
    present: set[bytes] = set()
    cursor = txn.cursor(db=state_db)
    if cursor.set_range(prefix):
        for key in cursor.iternext(keys=True, values=False):
            if not key.startswith(prefix):
                break
            present.add(key)
    first_after: dict[bytes, tuple[int, bytes]] = {}
    cursor = txn.cursor(db=t.key_log)
    if cursor.set_range(prefix):
        for entry, flag in cursor:
            if not entry.startswith(prefix):
                break
            key, block = entry[:-BLOCK_BYTES], int.from_bytes(entry[-BLOCK_BYTES:], "big")
            if block > number and key.startswith(prefix):
                seen = first_after.get(key)
                if seen is None or block < seen[0]:
                    first_after[key] = (block, flag)
    for key, (_, flag) in first_after.items():
        if flag == DELETED:
            present.add(key)
        else:
            present.discard(key)
    return sorted(present)
