# pragma version 0.4.3
"""
@title dispute_game
@notice Two-party dispute games over state roots: anyone opens a game against a root that
        is not final, with `CHALLENGER_BOND`; the root's proposer defends it. A game is a
        bisection over the batch's execution trace (`prover/client/trace.py`): positions
        `0..2**depth`, the claim at a position `keccak256(state_root || keccak256(cursor))`.
        A lost game invalidates the root and every later one (`StateCommitments.invalidate`).

        Rules, in order:
        1. The claim at position 0 is fixed by L1: the previous root (the genesis root before
           batch 0) with the batch-start cursor (`derive_steps.batch_start(batch)`: phase
           BLOCK_OPEN, outer registers all 0 but the batch index), encoded here with the
           cursor codec (`fault/lib/cursor.vy::encode_cursor`). Both sides agree on it.
        2. The defender's first move (`declare`) names the depth (at most `MAX_DEPTH`) and
           the halted cursor of position `2**depth`: a cursor whose phase is HALTED. The
           claim there is `keccak256(proposed_root || keccak256(halted_cursor))`, so it carries
           the proposed root. With `depth > 0` the same move posts the claim at the first
           midpoint. The challenger disputes this claim by having opened the game.
        3. While `hi - lo > 1`: the defender posts the claim at `mid = (lo + hi) / 2`
           (`claim`), the challenger agrees (`lo = mid`) or disagrees (`hi = mid`) (`answer`).
           The claim at `lo` is agreed, the claim at `hi` is disputed.
        4. When `hi = lo + 1`, anyone may submit the step (`step`): the verifier computes the
           post-claim of the step from the claim at `lo`; if it differs from the defender's
           claim at `hi`, the challenger wins, else the defender wins. The step is on the
           challenger's clock (it is the challenger's move).
        5. Chess clocks: each side has `CLOCK` seconds for all its moves; the clock of the
           side to move runs. When a side's turn begins with less than `EXTENSION` seconds
           left, its clock is set back to `EXTENSION` seconds left. A side whose clock runs
           out loses: anyone may then call `resolve`.
        6. A game whose root was removed meanwhile (by another game, or by a game against an
           earlier root) is `ROOT_REMOVED` once anyone calls `resolve`: the challenger's bond
           is returned, nothing else moves.

        Bonds (wei): the challenger wins -> it gets its bond back plus the bonds of the removed
        roots less `BURN_PERCENT`; the defender wins -> it gets the challenger's bond less
        `BURN_PERCENT`. The burned share stays in this contract forever (no function moves it),
        so a proposer disputing its own root always loses money. Payouts are credits, taken by
        `claim_credit` (pull): a reverting recipient never blocks a game.
@dev Reverts are prefixed "game: ". Times are L1 block timestamps (seconds).
"""

import lib.rlp as rlp
import fault.lib.cursor as cursor

interface StateCommitments:
    def commitment_count() -> uint256: view
    def commitments(index: uint256) -> (uint256, uint256, bytes32, address, uint256, uint256, bool): view
    def proposal_id(index: uint256) -> uint256: view
    def GENESIS_STATE_ROOT() -> bytes32: view
    def game_opened(index: uint256) -> uint256: nonpayable
    def game_closed(index: uint256, proposal: uint256): nonpayable
    def invalidate(index: uint256): nonpayable

interface Verifier:
    def step(pre_claim: bytes32, proof: Bytes[MAX_PROOF]) -> bytes32: nonpayable

MAX_PROOF: constant(uint256) = 262144  # fault/verifier.vy MAX_PROOF
MAX_HALTED_CURSOR: constant(uint256) = 1024  # a HALTED cursor: 15 outer registers, nothing else
LIMIT_DEPTH: constant(uint256) = 64
BLOCK_OPEN: constant(uint256) = 100  # derive_steps.BlockPhase
HALTED: constant(uint256) = 102
OUTER_REGS: constant(uint256) = 15  # derive_steps.OUTER_REGS
BURN_PERCENT: constant(uint256) = 20

DEFENDER: constant(uint8) = 0
CHALLENGER: constant(uint8) = 1

IN_PROGRESS: constant(uint8) = 0
CHALLENGER_WINS: constant(uint8) = 1
DEFENDER_WINS: constant(uint8) = 2
ROOT_REMOVED: constant(uint8) = 3

struct Game:
    root_index: uint256
    proposal: uint256  # StateCommitments.proposal_id: which proposal at root_index
    state_root: bytes32  # the proposed root
    defender: address
    challenger: address
    bond: uint256  # the challenger's
    depth: uint256
    declared: bool
    lo: uint256
    hi: uint256
    lo_claim: bytes32
    hi_claim: bytes32
    mid_claim: bytes32  # the defender's claim at (lo + hi) / 2, awaiting the answer
    turn: uint8
    turn_started: uint256
    defender_used: uint256  # seconds of CLOCK used (before the running turn)
    challenger_used: uint256
    status: uint8
    moves: uint256  # moves played (declare, claims, answers, step)

COMMITMENTS: public(immutable(StateCommitments))
VERIFIER: public(immutable(Verifier))
CHALLENGER_BOND: public(immutable(uint256))
CLOCK: public(immutable(uint256))
EXTENSION: public(immutable(uint256))
MAX_DEPTH: public(immutable(uint256))

game_count: public(uint256)
games: public(HashMap[uint256, Game])
credit: public(HashMap[address, uint256])
burned: public(uint256)

event GameOpened:
    game: indexed(uint256)
    root_index: indexed(uint256)
    challenger: address
    pre_claim: bytes32

event Declared:
    game: indexed(uint256)
    depth: uint256
    halted_claim: bytes32

event Claimed:
    game: indexed(uint256)
    position: uint256
    claim: bytes32

event Answered:
    game: indexed(uint256)
    position: uint256
    agree: bool

event Stepped:
    game: indexed(uint256)
    position: uint256
    post_claim: bytes32

event Resolved:
    game: indexed(uint256)
    status: uint8

event CreditClaimed:
    owner: indexed(address)
    recipient: address
    amount: uint256


@deploy
def __init__(commitments: address, verifier: address, challenger_bond: uint256, clock: uint256, extension: uint256,
             max_depth: uint256):
    """
    @param challenger_bond Wei a challenger locks per game.
    @param clock Seconds each side has for all its moves (3.5 days in production).
    @param extension Seconds a side is given back when its turn starts with less left
           (3 hours in production); at most `clock`.
    @param max_depth The deepest bisection a defender may declare (at most 64).
    """
    assert commitments != empty(address) and verifier != empty(address), "game: zero address"
    assert challenger_bond > 0, "game: zero bond"
    assert extension > 0 and extension <= clock, "game: extension not in (0, clock]"
    assert max_depth <= LIMIT_DEPTH, "game: max_depth over 64"
    COMMITMENTS = StateCommitments(commitments)
    VERIFIER = Verifier(verifier)
    CHALLENGER_BOND = challenger_bond
    CLOCK = clock
    EXTENSION = extension
    MAX_DEPTH = max_depth


@payable
@external
def __default__():
    """Receives the removed roots' bonds from `StateCommitments.invalidate`."""
    assert msg.sender == COMMITMENTS.address, "game: unexpected ether"


# ---------------------------------------------------------------------------------
# Claims


@view
@internal
def _start_claim(index: uint256) -> bytes32:
    """The claim at position 0 of batch `index`: the previous root with `batch_start(index)`."""
    pre_root: bytes32 = staticcall COMMITMENTS.GENESIS_STATE_ROOT()
    if index > 0:
        a: uint256 = 0
        b: uint256 = 0
        c: address = empty(address)
        d: uint256 = 0
        e: uint256 = 0
        f: bool = False
        a, b, pre_root, c, d, e, f = staticcall COMMITMENTS.commitments(index - 1)
    outer: DynArray[int256, cursor.MAX_OUTER] = [convert(index, int256)]
    for i: uint256 in range(OUTER_REGS - 1):
        outer.append(0)
    start: cursor.Cursor = empty(cursor.Cursor)
    start.phase = BLOCK_OPEN
    start.outer = outer
    return keccak256(concat(pre_root, keccak256(cursor.encode_cursor(start))))


@view
@external
def start_claim(index: uint256) -> bytes32:
    """
    @notice The agreed claim at position 0 of a game against root `index` (needs root `index - 1`).
    """
    assert index == 0 or index <= staticcall COMMITMENTS.commitment_count(), "game: no previous root"
    return self._start_claim(index)


@pure
@internal
def _phase(raw: Bytes[MAX_HALTED_CURSOR]) -> uint256:
    """The phase (first item) of the RLP list `raw`."""
    n: uint256 = len(raw)
    padded: Bytes[MAX_HALTED_CURSOR + 64] = concat(raw, empty(bytes32), empty(bytes32))
    top: rlp.Item = rlp.header(extract32(padded, 0), 0, n)
    assert top.is_list and top.end == n, "game: the cursor is not one RLP list"
    phase: uint256 = 0
    pos: uint256 = 0
    phase, pos = cursor._int_item(extract32(padded, top.offset), extract32(padded, top.offset + 1), top.offset, n)
    return phase


# ---------------------------------------------------------------------------------
# Clocks


@view
@internal
def _used(g: Game, side: uint8) -> uint256:
    """Seconds of `side`'s clock used, the running turn included."""
    used: uint256 = g.defender_used if side == DEFENDER else g.challenger_used
    if g.turn == side:
        used += block.timestamp - g.turn_started
    return used


@view
@internal
def _expired(g: Game) -> bool:
    return self._used(g, g.turn) > CLOCK


@internal
def _pass_turn(id: uint256, to: uint8):
    """End the running turn (charging its time to the mover) and start `to`'s, with the
    extension if `to` has less than EXTENSION left."""
    g: Game = self.games[id]
    assert not self._expired(g), "game: clock ran out"
    elapsed: uint256 = block.timestamp - g.turn_started
    if g.turn == DEFENDER:
        g.defender_used += elapsed
    else:
        g.challenger_used += elapsed
    if to == DEFENDER and g.defender_used > CLOCK - EXTENSION:
        g.defender_used = CLOCK - EXTENSION
    if to == CHALLENGER and g.challenger_used > CLOCK - EXTENSION:
        g.challenger_used = CLOCK - EXTENSION
    g.turn = to
    g.turn_started = block.timestamp
    g.moves += 1
    self.games[id] = g


@view
@external
def clock_left(id: uint256, side: uint8) -> uint256:
    """
    @notice Seconds left on `side`'s clock (0 defender, 1 challenger), 0 once run out.
    """
    used: uint256 = self._used(self.games[id], side)
    if used >= CLOCK:
        return 0
    return CLOCK - used


# ---------------------------------------------------------------------------------
# Moves


@view
@internal
def _live(id: uint256) -> Game:
    assert id < self.game_count, "game: no such game"
    g: Game = self.games[id]
    assert g.status == IN_PROGRESS, "game: resolved"
    return g


@view
@internal
def _root_current(g: Game) -> bool:
    """Whether the proposal the game disputes is still the root at its index."""
    return g.root_index < staticcall COMMITMENTS.commitment_count() and \
        staticcall COMMITMENTS.proposal_id(g.root_index) == g.proposal


@payable
@external
def open(root_index: uint256) -> uint256:
    """
    @notice Open a game against root `root_index` (not final), with CHALLENGER_BOND; returns its id.
    """
    assert msg.value == CHALLENGER_BOND, "game: wrong bond"
    proposal: uint256 = extcall COMMITMENTS.game_opened(root_index)  # reverts unless a root not final
    a: uint256 = 0
    b: uint256 = 0
    state_root: bytes32 = empty(bytes32)
    proposer: address = empty(address)
    d: uint256 = 0
    e: uint256 = 0
    f: bool = False
    a, b, state_root, proposer, d, e, f = staticcall COMMITMENTS.commitments(root_index)
    assert msg.sender != proposer, "game: the proposer cannot challenge its own root"
    id: uint256 = self.game_count
    self.game_count = id + 1
    pre_claim: bytes32 = self._start_claim(root_index)
    self.games[id] = Game(
        root_index=root_index, proposal=proposal, state_root=state_root, defender=proposer, challenger=msg.sender,
        bond=msg.value, depth=0, declared=False, lo=0, hi=0, lo_claim=pre_claim, hi_claim=empty(bytes32),
        mid_claim=empty(bytes32), turn=DEFENDER, turn_started=block.timestamp, defender_used=0, challenger_used=0,
        status=IN_PROGRESS, moves=0,
    )
    log GameOpened(game=id, root_index=root_index, challenger=msg.sender, pre_claim=pre_claim)
    return id


@external
def declare(id: uint256, depth: uint256, halted_cursor: Bytes[MAX_HALTED_CURSOR], first_claim: bytes32):
    """
    @notice The defender's first move: the depth, the halted cursor at position `2**depth`
            (with the proposed root: the disputed claim), and with `depth > 0` its claim at
            position `2**(depth - 1)`.
    """
    g: Game = self._live(id)
    assert msg.sender == g.defender, "game: not the defender"
    assert g.turn == DEFENDER and not g.declared, "game: not the defender's declaration"
    assert depth <= MAX_DEPTH, "game: depth over MAX_DEPTH"
    assert self._phase(halted_cursor) == HALTED, "game: the cursor is not HALTED"
    halted_claim: bytes32 = keccak256(concat(g.state_root, keccak256(halted_cursor)))
    self.games[id].declared = True
    self.games[id].depth = depth
    self.games[id].hi = 1 << depth
    self.games[id].hi_claim = halted_claim
    log Declared(game=id, depth=depth, halted_claim=halted_claim)
    if depth > 0:
        self.games[id].mid_claim = first_claim
        log Claimed(game=id, position=1 << (depth - 1), claim=first_claim)
    self._pass_turn(id, CHALLENGER)


@external
def claim(id: uint256, claim: bytes32):
    """
    @notice The defender's claim at the midpoint of the disputed range.
    """
    g: Game = self._live(id)
    assert msg.sender == g.defender, "game: not the defender"
    assert g.turn == DEFENDER and g.declared, "game: not the defender's turn"
    self.games[id].mid_claim = claim
    log Claimed(game=id, position=(g.lo + g.hi) // 2, claim=claim)
    self._pass_turn(id, CHALLENGER)


@external
def answer(id: uint256, agree: bool):
    """
    @notice The challenger agrees or disagrees with the defender's claim at the midpoint.
    """
    g: Game = self._live(id)
    assert msg.sender == g.challenger, "game: not the challenger"
    assert g.turn == CHALLENGER and g.hi - g.lo > 1, "game: not the challenger's answer"
    mid: uint256 = (g.lo + g.hi) // 2
    if agree:
        self.games[id].lo = mid
        self.games[id].lo_claim = g.mid_claim
    else:
        self.games[id].hi = mid
        self.games[id].hi_claim = g.mid_claim
    log Answered(game=id, position=mid, agree=agree)
    if g.hi - g.lo == 2:  # now one step apart: the challenger's step is next
        self._pass_turn(id, CHALLENGER)
    else:
        self._pass_turn(id, DEFENDER)


@external
def step(id: uint256, proof: Bytes[MAX_PROOF]):
    """
    @notice The one step from the agreed claim at `lo` to the disputed one at `hi = lo + 1`
            (anyone may submit it): the challenger wins if the verified post-claim differs
            from the defender's claim, the defender wins otherwise. Reverts if the verifier
            refuses the proof.
    """
    g: Game = self._live(id)
    assert g.declared and g.hi - g.lo == 1, "game: the bisection is not done"
    assert not self._expired(g), "game: clock ran out"
    post: bytes32 = extcall VERIFIER.step(g.lo_claim, proof)
    log Stepped(game=id, position=g.lo, post_claim=post)
    self.games[id].moves = g.moves + 1
    if post != g.hi_claim:
        self._finish(id, CHALLENGER_WINS)
    else:
        self._finish(id, DEFENDER_WINS)


@external
def resolve(id: uint256):
    """
    @notice End a game whose side to move has run out of time (the other side wins), or
            whose root was removed meanwhile (ROOT_REMOVED). Anyone may call.
    """
    g: Game = self._live(id)
    if not self._root_current(g):
        self._finish(id, ROOT_REMOVED)
        return
    assert self._expired(g), "game: clock still running"
    if g.turn == DEFENDER:
        self._finish(id, CHALLENGER_WINS)
    else:
        self._finish(id, DEFENDER_WINS)


@internal
def _finish(id: uint256, status: uint8):
    """Set the result, move the bonds into credits, release the root."""
    g: Game = self.games[id]
    if status != ROOT_REMOVED and not self._root_current(g):
        status = ROOT_REMOVED
    self.games[id].status = status
    if status == ROOT_REMOVED:
        self.credit[g.challenger] += g.bond
    elif status == CHALLENGER_WINS:
        before: uint256 = self.balance
        extcall COMMITMENTS.invalidate(g.root_index)  # pays this contract the removed roots' bonds
        won: uint256 = self.balance - before
        burn: uint256 = won * BURN_PERCENT // 100
        self.burned += burn
        self.credit[g.challenger] += g.bond + won - burn
    else:
        burn: uint256 = g.bond * BURN_PERCENT // 100
        self.burned += burn
        self.credit[g.defender] += g.bond - burn
    extcall COMMITMENTS.game_closed(g.root_index, g.proposal)
    log Resolved(game=id, status=status)


@external
def claim_credit(recipient: address):
    """
    @notice Send the caller's whole credit to `recipient` (the caller may name another
            address if its own refuses ether).
    """
    amount: uint256 = self.credit[msg.sender]
    assert amount > 0, "game: no credit"
    self.credit[msg.sender] = 0
    raw_call(recipient, b"", value=amount)
    log CreditClaimed(owner=msg.sender, recipient=recipient, amount=amount)


@view
@external
def status(id: uint256) -> uint8:
    """
    @notice 0 in progress, 1 challenger wins, 2 defender wins, 3 root removed meanwhile.
    """
    assert id < self.game_count, "game: no such game"
    return self.games[id].status
