# pragma version 0.4.3
"""
@title steps_margin
@notice The margin family on L1: `MARGIN` (40) and `MARGIN_FOLD` (41), twins of
        `node/stf/margin_steps.py`. This entry puts the step's witness in the trie store's
        pool and works on the cursor where it is, in calldata; the reads are
        `margin_reads.vy`'s (through `lib/state.vy` and `lib/accounts.vy`, over that pool),
        the rules `margin_sums.vy`'s, and the cursor's other fields are checked (and a
        caller's frame returned to, and the post-cursor laid out) by `margin_machine.vy`
        (the family does not fit one contract). Compiled with the legacy code generator:
        Venom would copy the calldata arguments (the cursor, the witness) into memory. The
        steps never write: the post-root is the pre-root.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface, with the cursor up to
     `cursor.MAX_WIDE_CURSOR` bytes (the margin fold's registers: up to 3,280); `inputs` is
     empty. A step does not decode the registers into memory nor encode them all again:
     one walk over the register list (read from calldata) checks every register canonical
     (as Python's `decode_cursor`), keeps the head registers, and notes each accumulator
     underlying's offset, id, index, net sizes, least long value and the maxima of its two
     scenario vectors (all `finish` needs of it). Only the underlyings the chunk's series
     touch are decoded, merged with the chunk's sums (`margin_sums.vy`) and encoded again;
     the post-cursor is the pre-cursor's bytes with the phase set to `MARGIN_FOLD`, its
     register list made of the new head registers, the re-encoded and new underlyings in
     id order and, between them, the untouched underlyings' bytes as they were, and the
     list and top headers sized again. Reads are Python's (`margin_fold.py::fold` through
     `accounts.load`): the account (and Globals when its balance is positive), per series
     of the chunk its mark, its underlying when the accumulator does not hold its index
     yet, and the Config once when a series with orders has a mark. Reverts
     ("steps_margin: ...", or a library's prefix) only on an invalid proof, on cursors
     Python refuses, or on states the STF never reaches: a mark whose underlying is
     missing, no Config, a value past int256.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.cursor as cursor
import fault.lib.margin_fold as margin_fold
import lib.rlp as rlp

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place family's.
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_POSITIONS: constant(uint256) = margin_fold.MAX_POSITIONS
MAX_HEAD: constant(uint256) = margin_fold.MAX_HEAD
HEADER_REGS: constant(uint256) = margin_fold.HEADER_REGS
UNDERLYING_REGS: constant(uint256) = margin_fold.UNDERLYING_REGS
MAX_RESULTS: constant(uint256) = 6  # margin_steps.py::BACKING_REGS, the longest answer
MAX_WIDE_REGS: constant(uint256) = cursor.MAX_WIDE_REGS
# node/stf/margin_steps.py
MARGIN: constant(uint256) = 40
MARGIN_FOLD: constant(uint256) = 41
INITIAL: constant(int256) = 0
SUMMARY: constant(int256) = 2
WITH_ORDERS: constant(int256) = 0
POSITIONS_ONLY: constant(int256) = 1
HEAD_REGS: constant(uint256) = 4  # address, query, stage, next series
BACKING_REGS: constant(uint256) = 6
# margin_sums.step's outcomes
GO_ON: constant(uint256) = 0
RESTART: constant(uint256) = 1
DONE: constant(uint256) = 2
MAX_WORDS: constant(uint256) = cursor.MAX_WIDE_CURSOR // 32 + 3


interface MarginSums:
    def step(head: DynArray[int256, MAX_HEAD], first_step: bool, count: uint256, view: margin_fold.AccountView,
             chunk: DynArray[margin_fold.Series, MARGIN_CHUNK], maker_fee: int256, fee_cap: int256,
             touched: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK],
             summaries: DynArray[margin_fold.Summary, MAX_POSITIONS]) -> (
        DynArray[int256, MAX_HEAD], DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK],
        DynArray[int256, MAX_RESULTS], uint256): pure


interface MarginReads:
    def read(pre_root: bytes32, store: address, owner: address, with_orders: bool, first: uint256,
             known: DynArray[margin_fold.KnownIndex, MAX_POSITIONS]) -> (
        margin_fold.AccountView, DynArray[margin_fold.Series, MARGIN_CHUNK], int256, int256): nonpayable


interface MarginMachine:
    def check(narrow: Bytes[cursor.MAX_NARROW]) -> uint256: pure
    def ret(narrow: Bytes[cursor.MAX_NARROW], results: DynArray[int256, MAX_RESULTS]) -> Bytes[cursor.MAX_NARROW]: pure
    def pieces(n: uint256, lay: margin_fold.Layout, head: DynArray[int256, MAX_HEAD],
               slots: DynArray[margin_fold.Slot, MAX_POSITIONS], merged: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK],
               restart: bool) -> (DynArray[uint256, margin_fold.MAX_PIECES], uint256): pure


STORE: public(immutable(address))
READS: public(immutable(address))
MACHINE: public(immutable(address))
SUMS: public(immutable(address))


@deploy
def __init__(store: address, reads: address, machine: address, sums: address):
    """
    @param store The trie store (`trie_store.vy`).
    @param reads The `margin_reads.vy` contract.
    @param machine The `margin_machine.vy` contract.
    @param sums The `margin_sums.vy` contract.
    """
    STORE = store
    READS = reads
    MACHINE = machine
    SUMS = sums


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_WIDE_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_WIDE_CURSOR]):
    """
    @notice One margin step: `(post_root, post_cursor)`; the root does not move.
    """
    assert len(inputs) == 0, "steps_margin: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    n: uint256 = len(cursor_rlp)
    cd: uint256 = 36 + convert(slice(msg.data, 36, 32), uint256)  # the cursor's first byte in calldata
    lay: margin_fold.Layout = empty(margin_fold.Layout)
    head: DynArray[int256, MAX_HEAD] = []
    slots: DynArray[margin_fold.Slot, MAX_POSITIONS] = []
    lay, head, slots = self._walk(cd, n)
    first_step: bool = lay.phase == MARGIN

    # what to read (the registers are checked by margin_sums.step)
    stage: int256 = WITH_ORDERS
    if head[1] == SUMMARY:
        stage = POSITIONS_ONLY
    first: uint256 = 0
    if not first_step and len(head) >= HEAD_REGS:
        stage = head[2]
        first = convert(max(head[3], 0), uint256)

    # the reads: the account and the chunk (margin_fold.py::fold's)
    known: DynArray[margin_fold.KnownIndex, MAX_POSITIONS] = []
    for s: margin_fold.Slot in slots:
        known.append(margin_fold.KnownIndex(underlying_id=s.summary.underlying_id, index_e6=s.summary.index_e6))
    view: margin_fold.AccountView = empty(margin_fold.AccountView)
    chunk: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    view, chunk, maker_fee, fee_cap = extcall MarginReads(READS).read(
        pre_root, STORE, convert(convert(head[0], uint160), address), stage == WITH_ORDERS, first, known)
    # the accumulator's underlyings the chunk touches, decoded
    touched: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK] = []
    summaries: DynArray[margin_fold.Summary, MAX_POSITIONS] = []
    for i: uint256 in range(MAX_POSITIONS):
        if i == len(slots):
            break
        summaries.append(slots[i].summary)
        for s: margin_fold.Series in chunk:
            if s.has_mark and s.underlying_id == slots[i].summary.underlying_id:
                touched.append(self._slot(cd, slots[i].start))
                break

    merged: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK] = []
    results: DynArray[int256, MAX_RESULTS] = []
    outcome: uint256 = 0
    head, merged, results, outcome = staticcall MarginSums(SUMS).step(
        head, first_step, lay.count, view, chunk, maker_fee, fee_cap, touched, summaries)
    narrow: Bytes[cursor.MAX_NARROW] = self._narrow(cd, n, lay)
    if outcome == DONE:  # ret(cursor, results)
        return pre_root, staticcall MarginMachine(MACHINE).ret(narrow, results)
    assert staticcall MarginMachine(MACHINE).check(narrow) == lay.phase, "steps_margin: phase"

    # the post-cursor: pieces and ranges of the pre-cursor, then packed into words
    pieces: DynArray[uint256, margin_fold.MAX_PIECES] = []
    size: uint256 = 0
    pieces, size = staticcall MarginMachine(MACHINE).pieces(n, lay, head, slots, merged, outcome == RESTART)
    words: DynArray[uint256, MAX_WORDS] = [32, size]
    acc: uint256 = 0
    fill: uint256 = 0  # bytes of `acc` in use, from its top
    for piece: uint256 in pieces:
        m: uint256 = piece & 255
        if m != 0:
            item: uint256 = piece >> (8 * (32 - m)) << (8 * (32 - m))
            acc |= item >> (8 * fill)
            if fill + m >= 32:
                words.append(acc)
                acc = item << (8 * (32 - fill))  # 0 when fill is 0 (a shift by 256)
                fill = fill + m - 32
            else:
                fill += m
            continue
        k: uint256 = piece >> 128
        stop: uint256 = (piece >> 8) & (2**120 - 1)
        for _: uint256 in range(cursor.MAX_WIDE_CURSOR // 32 + 1):
            if k >= stop:
                break
            m = min(32, stop - k)
            item: uint256 = convert(slice(msg.data, cd + k, 32), uint256) >> (8 * (32 - m)) << (8 * (32 - m))
            acc |= item >> (8 * fill)
            if fill + m >= 32:
                words.append(acc)
                acc = item << (8 * (32 - fill))
                fill = fill + m - 32
            else:
                fill += m
            k += m
    if fill > 0:
        words.append(acc)
    return pre_root, abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[cursor.MAX_WIDE_CURSOR])


@internal
@view
def _word(at: uint256) -> uint256:
    """The 32 bytes of calldata at `at` (past its end: zero bytes)."""
    return convert(slice(msg.data, at, 32), uint256)


@internal
@view
def _walk(cd: uint256, n: uint256) -> (margin_fold.Layout, DynArray[int256, MAX_HEAD], DynArray[margin_fold.Slot, MAX_POSITIONS]):
    """
    @notice The cursor of `n` bytes at calldata offset `cd`: where its parts are, its head
            registers (the first two of a `MARGIN` step; else up to the accumulator's
            underlyings, as many as its query and stage say), and each accumulator
            underlying's `Slot`. Every register is checked canonical (as
            `cursor.decode_wide_regs`); the other fields are checked by the machine.
    @dev One loop over the registers, inlined (an internal call costs ~250 gas a register),
         with unchecked arithmetic where operands are bounded (offsets < 2**17, shifts <= 256).
    """
    assert n > 0, "cursor: not a canonical cursor"
    top: rlp.Item = rlp.header(convert(self._word(cd), bytes32), 0, n)
    assert top.is_list and top.end == n, "cursor: not a canonical cursor"
    lay: margin_fold.Layout = empty(margin_fold.Layout)
    lay.top_offset = top.offset
    pos: uint256 = top.offset
    for f: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(convert(self._word(cd + pos), bytes32), pos, n).end
    lay.phase = self._word(cd + top.offset) >> 248
    assert lay.phase == MARGIN or lay.phase == MARGIN_FOLD, "steps_margin: not a margin phase"
    lst: rlp.Item = rlp.header(convert(self._word(cd + pos), bytes32), pos, n)
    assert lst.is_list, "cursor: regs is not a list"
    lay.regs_start = pos
    lay.regs_end = lst.end

    head: DynArray[int256, MAX_HEAD] = []
    slots: DynArray[margin_fold.Slot, MAX_POSITIONS] = []
    cur: margin_fold.Slot = empty(margin_fold.Slot)
    k: uint256 = 0  # the register's place in its underlying's
    p: uint256 = lst.offset
    bad: bool = False
    # the head registers: the first two of a MARGIN step, else up to the accumulator's underlyings
    head_len: uint256 = MAX_HEAD
    if lay.phase == MARGIN:
        head_len = 2
    for i: uint256 in range(MAX_HEAD):
        if p == lst.end or i == head_len:
            break
        r: int256 = 0
        wrong: bool = False
        r, p, wrong = self._reg(cd, p)
        bad = bad or wrong
        head.append(r)
        if i == 2 and lay.phase == MARGIN_FOLD:  # the stage
            head_len = HEAD_REGS + HEADER_REGS
            if r == POSITIONS_ONLY and head[1] == INITIAL:
                head_len += BACKING_REGS
    count: uint256 = len(head)
    for i: uint256 in range(MAX_WIDE_REGS + 1):
        if p == lst.end:
            break
        assert count < MAX_WIDE_REGS, "cursor: regs over the MAX_WIDE_REGS bound"
        start: uint256 = p
        w: uint256 = convert(slice(msg.data, unsafe_add(cd, p), 32), uint256)
        x: uint256 = w >> 248
        if x < 128:
            bad = bad or x == 0  # a leading zero
            p = unsafe_add(p, 1)
        else:
            m: uint256 = unsafe_sub(x, 128)
            bad = bad or m > 32
            if m == 0:
                x = 0
            elif m == 32:
                x = convert(slice(msg.data, unsafe_add(cd, unsafe_add(p, 1)), 32), uint256)
            else:
                x = (w << 8) >> unsafe_mul(8, unsafe_sub(32, m))
            # no leading zero; a single byte below 0x80 encodes itself
            bad = bad or (m != 0 and x >> unsafe_mul(8, unsafe_sub(m, 1)) == 0) or (m == 1 and x < 128)
            p = unsafe_add(p, unsafe_add(1, m))
        r: int256 = 0
        if x & 1 == 0:
            r = convert(x >> 1, int256)
        else:
            r = unsafe_sub(-convert(x >> 1, int256), 1)
        count = unsafe_add(count, 1)
        if lay.phase == MARGIN:
            continue
        if k == 0:
            cur = margin_fold.Slot(start=start, summary=empty(margin_fold.Summary))
            cur.summary.underlying_id = r
        elif k == 1:
            cur.summary.index_e6 = r
        elif k == 2:
            cur.summary.calls_e6 = r
        elif k == 3:
            cur.summary.puts_e6 = r
        elif k == 4:
            cur.summary.least_long_e12 = r
        elif k == 5:
            cur.summary.worst = r
        elif k < 28:
            cur.summary.worst = max(cur.summary.worst, r)
        elif k == 28:
            cur.summary.uncovered = r
        else:
            cur.summary.uncovered = max(cur.summary.uncovered, r)
        k = unsafe_add(k, 1)
        if k == UNDERLYING_REGS:
            k = 0
            if len(slots) == MAX_POSITIONS:
                bad = True
            else:
                slots.append(cur)
    assert p == lst.end and not bad, "cursor: not a canonical cursor"
    lay.count = count
    return lay, head, slots


@internal
@view
def _slot(cd: uint256, start: uint256) -> margin_fold.UnderlyingSums:
    """The accumulator underlying whose registers start at `start` (checked by `_walk`)."""
    values: DynArray[int256, UNDERLYING_REGS] = []
    p: uint256 = start
    r: int256 = 0
    wrong: bool = False
    for i: uint256 in range(UNDERLYING_REGS):
        r, p, wrong = self._reg(cd, p)
        values.append(r)
    u: margin_fold.UnderlyingSums = margin_fold.UnderlyingSums(
        underlying_id=values[0], index_e6=values[1], calls_e6=values[2], puts_e6=values[3], least_long_e12=values[4],
        worst=empty(int256[margin_fold.N_SCENARIOS]), uncovered=empty(int256[margin_fold.N_SCENARIOS]))
    for k: uint256 in range(margin_fold.N_SCENARIOS):
        u.worst[k] = values[margin_fold.U_WORST + k]
        u.uncovered[k] = values[margin_fold.U_UNCOVERED + k]
    return u


@internal
@view
def _narrow(cd: uint256, n: uint256, lay: margin_fold.Layout) -> Bytes[cursor.MAX_NARROW]:
    """
    @notice The cursor (`n` bytes at calldata offset `cd`) with an empty register list in
            place of its own, the top header made again: what `margin_machine.vy` decodes
            (`cursor.decode_cursor_wide`'s narrow cursor).
    """
    payload: uint256 = n - lay.top_offset - (lay.regs_end - lay.regs_start) + 1
    assert payload + 3 <= cursor.MAX_NARROW, "cursor: not a canonical cursor"
    words: DynArray[uint256, cursor.MAX_NARROW // 32 + 4] = [32, cursor._header_size(payload) + payload]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    m: uint256 = 0
    item, m = cursor._header_word(192, payload)
    acc, fill, w, done = cursor._put(acc, fill, item, m)
    # cursor[top_offset:regs_start], the empty list, cursor[regs_end:n]
    k: uint256 = lay.top_offset
    stop: uint256 = lay.regs_start
    for _: uint256 in range(cursor.MAX_NARROW // 32 + 4):
        if k == stop:
            if stop == n:
                break
            acc, fill, w, done = cursor._put(acc, fill, cursor._left(192, 1), 1)
            if done:
                words.append(w)
            k = lay.regs_end
            stop = n
            continue
        m = min(32, stop - k)
        item = self._word(cd + k) >> (8 * (32 - m)) << (8 * (32 - m))
        acc, fill, w, done = cursor._put(acc, fill, item, m)
        if done:
            words.append(w)
        k += m
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[cursor.MAX_NARROW])

@internal
@view
def _reg(cd: uint256, p: uint256) -> (int256, uint256, bool):
    """The register at `p` in the cursor at calldata offset `cd`, the offset after it, and
    whether it is not canonical (`cursor.decode_wide_regs`'s checks)."""
    w: uint256 = self._word(cd + p)
    x: uint256 = w >> 248
    bad: bool = False
    q: uint256 = p + 1
    if x < 128:
        bad = x == 0
    else:
        m: uint256 = x - 128
        bad = m > 32
        if m == 0:
            x = 0
        elif m == 32:
            x = self._word(cd + p + 1)
        else:
            x = (w << 8) >> (8 * (32 - m))
        bad = bad or (m != 0 and x >> (8 * (m - 1)) == 0) or (m == 1 and x < 128)
        q += m
    return cursor.unzigzag(x), q, bad
