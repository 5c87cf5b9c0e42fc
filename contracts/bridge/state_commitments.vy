# pragma version ~=0.4.3
"""
@title State commitments
@notice The proposer commits one L2 state root per batch, with a bond. A root is final
        once `CHALLENGE_WINDOW` seconds have passed since it was posted and it was not
        invalidated. Only the dispute game (set once by the owner) can invalidate a root
        that is not final; that also removes every later root (they build on it), and
        their bonds go to the dispute game, which pays the challenger.
        A root under an open dispute game is not final until its games resolve, and no root
        is final while an earlier one is under a game (it builds on it): `_is_final` checks
        `lowest_open`, the lowest index with an open game. Games may be opened only inside
        a root's window (`game_opened`), so a root's finality waits at most one game's
        length past its window (README, "Dispute games": the window arithmetic).
        The proposer is permissioned while it is live: once it has proposed no root for
        `SILENCE` seconds, anyone may propose (with the bond) until it proposes again, so
        users can still withdraw when the proposer stops.
        Root i names the L2 block it is taken at: either the last L2 block that batch i
        declares in the inbox (the batch derived its blocks), or the same block as root
        i - 1 (the batch derived none: derivation skipped it); never a lower one. So roots
        and batches stay in step whatever a batch holds, and no root can name a block no
        batch reaches. The L2 genesis state root is fixed at deployment: it is the state
        before block 1 (the root "before batch 0", at L2 block 0) that followers check
        their genesis against and a dispute game starts from.
@dev Reverts are prefixed "commitments: ". Times are L1 block timestamps (seconds);
     bonds are wei.
"""

interface BatchInbox:
    def batch_count() -> uint256: view
    def last_l2_block(index: uint256) -> uint256: view

struct Commitment:
    batch_index: uint256
    last_l2_block: uint256
    state_root: bytes32
    proposer: address
    bond: uint256
    proposed_at: uint256
    bond_returned: bool

INBOX: public(immutable(BatchInbox))
GENESIS_STATE_ROOT: public(immutable(bytes32))
PROPOSER: public(immutable(address))
BOND: public(immutable(uint256))
CHALLENGE_WINDOW: public(immutable(uint256))
SILENCE: public(immutable(uint256))
NO_GAME: constant(uint256) = max_value(uint256)
MAX_SCAN: constant(uint256) = 2048  # roots `_rescan` looks at per call (about 4.3M gas cold)

owner: public(address)
dispute_game: public(address)
commitment_count: public(uint256)
commitments: public(HashMap[uint256, Commitment])
proposer_last_at: public(uint256)  # PROPOSER's last root's time (the deployment's before its first)
proposal_count: public(uint256)
proposal_id: public(HashMap[uint256, uint256])  # index -> the id of the proposal there (ids never reused)
open_games: public(HashMap[uint256, uint256])  # proposal id -> open dispute games
lowest_open: public(uint256)  # the lowest index whose proposal has an open game (NO_GAME: none)

event StateProposed:
    index: indexed(uint256)
    last_l2_block: uint256
    state_root: bytes32
    finalizes_at: uint256

event StateInvalidated:
    index: indexed(uint256)
    removed: uint256

event BondReturned:
    index: indexed(uint256)
    proposer: indexed(address)
    amount: uint256

event DisputeGameSet:
    game: indexed(address)


@deploy
def __init__(inbox: address, genesis_state_root: bytes32, proposer: address, bond: uint256,
             challenge_window: uint256, silence: uint256):
    """
    @param genesis_state_root The L2 state root at L2 block 0 (the genesis state).
    @param bond The bond per root, in wei.
    @param challenge_window Seconds before a root is final (minutes on a devnet, 7 days in production).
    @param silence Seconds without a root from the proposer after which anyone may propose
           (minutes on a devnet, days in production).
    """
    assert inbox != empty(address) and proposer != empty(address), "commitments: zero address"
    assert genesis_state_root != empty(bytes32), "commitments: empty genesis root"
    assert bond > 0, "commitments: zero bond"
    INBOX = BatchInbox(inbox)
    GENESIS_STATE_ROOT = genesis_state_root
    PROPOSER = proposer
    BOND = bond
    CHALLENGE_WINDOW = challenge_window
    SILENCE = silence
    self.owner = msg.sender
    self.proposer_last_at = block.timestamp
    self.lowest_open = NO_GAME


@external
def set_dispute_game(game: address):
    """
    @notice Name the dispute game (owner only, once): the only caller that may invalidate.
    """
    assert msg.sender == self.owner, "commitments: caller is not the owner"
    assert self.dispute_game == empty(address), "commitments: dispute game already set"
    assert game != empty(address), "commitments: zero address"
    self.dispute_game = game
    log DisputeGameSet(game=game)


@external
@payable
def propose(batch_index: uint256, last_l2_block: uint256, state_root: bytes32):
    """
    @notice Commit the state root after batch `batch_index`, taken at L2 block `last_l2_block`.
    @dev One root per batch, in batch order; the batch must already be in the inbox.
         `last_l2_block` is the L2 block derivation reaches after the batch: never lower
         than the previous root's (0 before the first); equal when the batch derived no
         block. It cannot be bound to the batch's declared last block here: derivation
         may add blocks of due L1 entries after a rejected batch (README, "Derivation").
         Followers check it against derivation; a dispute game decides it.
         The proposer only, or anyone once the proposer has proposed no root for SILENCE
         seconds (until it proposes again).
    """
    assert msg.sender == PROPOSER or block.timestamp >= self.proposer_last_at + SILENCE, \
        "commitments: caller is not the proposer"
    assert msg.value == BOND, "commitments: wrong bond"
    index: uint256 = self.commitment_count
    assert batch_index == index, "commitments: not the next batch"
    assert batch_index < staticcall INBOX.batch_count(), "commitments: batch not posted"
    assert state_root != empty(bytes32), "commitments: empty root"
    previous: uint256 = 0
    if index > 0:
        previous = self.commitments[index - 1].last_l2_block
    assert last_l2_block >= previous, "commitments: L2 block before the last"
    self.commitments[index] = Commitment(
        batch_index=batch_index, last_l2_block=last_l2_block, state_root=state_root, proposer=msg.sender,
        bond=msg.value, proposed_at=block.timestamp, bond_returned=False,
    )
    self.commitment_count = index + 1
    if msg.sender == PROPOSER:
        self.proposer_last_at = block.timestamp
    proposal: uint256 = self.proposal_count + 1
    self.proposal_count = proposal
    self.proposal_id[index] = proposal
    log StateProposed(index=index, last_l2_block=last_l2_block, state_root=state_root,
                      finalizes_at=block.timestamp + CHALLENGE_WINDOW)


@view
@internal
def _is_final(index: uint256) -> bool:
    if index >= self.commitment_count or index >= self.lowest_open:
        return False
    return self.commitments[index].proposed_at + CHALLENGE_WINDOW <= block.timestamp


@view
@external
def is_final(index: uint256) -> bool:
    """
    @notice True once root `index` exists, its challenge window has passed, and no game is
            open against it or an earlier root.
    """
    return self._is_final(index)


@view
@external
def final_root(index: uint256) -> bytes32:
    """
    @notice The state root of commitment `index`; reverts unless it is final.
    """
    assert self._is_final(index), "commitments: root not final"
    return self.commitments[index].state_root


@external
def return_bond(index: uint256):
    """
    @notice Pay a final root's bond back to its proposer (anyone may call, once).
    """
    assert self._is_final(index), "commitments: root not final"
    commitment: Commitment = self.commitments[index]
    assert not commitment.bond_returned, "commitments: bond already returned"
    self.commitments[index].bond_returned = True
    raw_call(commitment.proposer, b"", value=commitment.bond)
    log BondReturned(index=index, proposer=commitment.proposer, amount=commitment.bond)


@external
def invalidate(index: uint256):
    """
    @notice Remove root `index` and every later root (dispute game only, before finality).
            Their bonds go to the dispute game.
    """
    assert msg.sender == self.dispute_game, "commitments: caller is not the dispute game"
    count: uint256 = self.commitment_count
    assert index < count, "commitments: no such root"
    assert not self._is_final(index), "commitments: root already final"
    # Every bond is BOND, and none of the removed roots is final (they are all younger than
    # root `index`), so no bond of theirs was returned. Their slots are overwritten when
    # the batches are proposed again; readers check `index < commitment_count`.
    total: uint256 = (count - index) * BOND
    self.commitment_count = index
    if self.lowest_open >= index:  # every open game is against a removed root now
        self.lowest_open = NO_GAME
    if total > 0:
        raw_call(msg.sender, b"", value=total)
    log StateInvalidated(index=index, removed=count - index)


@external
def game_opened(index: uint256) -> uint256:
    """
    @notice A dispute game opens against root `index` (dispute game only): the root must
            exist and be inside its challenge window. Returns the proposal's id, which the
            game gives back to `game_closed`.
    """
    assert msg.sender == self.dispute_game, "commitments: caller is not the dispute game"
    assert index < self.commitment_count, "commitments: no such root"
    assert block.timestamp < self.commitments[index].proposed_at + CHALLENGE_WINDOW, \
        "commitments: challenge window over"
    proposal: uint256 = self.proposal_id[index]
    self.open_games[proposal] += 1
    if index < self.lowest_open:
        self.lowest_open = index
    return proposal


@external
def game_closed(index: uint256, proposal: uint256):
    """
    @notice A game against proposal `proposal` at root `index` resolved (dispute game only).
    @dev When the lowest disputed root has no open game left, scans up to the next root
         with one (gas grows with the roots between them, at most MAX_SCAN; `rescan` goes on).
    """
    assert msg.sender == self.dispute_game, "commitments: caller is not the dispute game"
    self.open_games[proposal] -= 1
    self._rescan()


@external
def rescan():
    """
    @notice Continue moving `lowest_open` past roots without open games (anyone may call:
            needed only if a `game_closed` scan stopped at MAX_SCAN roots).
    """
    self._rescan()


@internal
def _rescan():
    """Move `lowest_open` up to the next root with an open game (NO_GAME if none), looking
    at MAX_SCAN roots at most; stopping early leaves it lower than the truth (finality waits
    longer, never less)."""
    lowest: uint256 = self.lowest_open
    count: uint256 = self.commitment_count
    if lowest >= count:
        if lowest != NO_GAME:
            self.lowest_open = NO_GAME
        return
    for k: uint256 in range(MAX_SCAN):
        if lowest >= count:
            self.lowest_open = NO_GAME
            return
        if self.open_games[self.proposal_id[lowest]] > 0:
            self.lowest_open = lowest
            return
        lowest += 1
    self.lowest_open = lowest
