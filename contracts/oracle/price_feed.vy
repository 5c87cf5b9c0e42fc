# pragma version ~=0.4.3
"""
@title Price feed
@notice A price feed with Chainlink's AggregatorV3Interface (`decimals`, `description`,
        `version`, `getRoundData`, `latestRoundData`), written from the interface's
        specification. Rounds are numbered from 1; each holds one answer posted by the
        updater (or the owner), its time (`startedAt` = `updatedAt` = the block's
        timestamp) and `answeredInRound` = its own id. The devnet deploys one per
        underlying and moves it; `optrollup oracle --source chainlink:ADDRESS@L1` reads it.
@dev Reverts are prefixed "feed: ".
"""

DESCRIPTION_MAX: constant(uint256) = 64

struct Round:
    answer: int256
    updated_at: uint256

decimals: public(immutable(uint8))
description: public(String[DESCRIPTION_MAX])
version: public(constant(uint256)) = 1

owner: public(address)
updater: public(address)
latestRound: public(uint80)
rounds: HashMap[uint80, Round]

event AnswerUpdated:
    current: indexed(int256)
    roundId: indexed(uint256)
    updatedAt: uint256

event NewRound:
    roundId: indexed(uint256)
    startedBy: indexed(address)
    startedAt: uint256

event UpdaterSet:
    updater: indexed(address)


@deploy
def __init__(feed_decimals: uint8, feed_description: String[DESCRIPTION_MAX], feed_updater: address):
    """
    @param feed_decimals Decimal places of every answer (8 for a USD pair, as Chainlink's).
    @param feed_description The pair, "ETH / USD".
    @param feed_updater The address that may post rounds besides the owner (the deployer).
    """
    decimals = feed_decimals
    self.description = feed_description
    self.owner = msg.sender
    self.updater = feed_updater


@external
def set_updater(new_updater: address):
    """
    @notice The owner names the address that posts rounds.
    """
    assert msg.sender == self.owner, "feed: only the owner"
    self.updater = new_updater
    log UpdaterSet(updater=new_updater)


@external
def post(answer: int256) -> uint80:
    """
    @notice Post a new round with `answer` (`decimals` places, > 0); returns its id.
    """
    assert msg.sender == self.updater or msg.sender == self.owner, "feed: only the updater"
    assert answer > 0, "feed: answer must be positive"
    round_id: uint80 = self.latestRound + 1
    self.rounds[round_id] = Round(answer=answer, updated_at=block.timestamp)
    self.latestRound = round_id
    log NewRound(roundId=convert(round_id, uint256), startedBy=msg.sender, startedAt=block.timestamp)
    log AnswerUpdated(current=answer, roundId=convert(round_id, uint256), updatedAt=block.timestamp)
    return round_id


@internal
@view
def _round(round_id: uint80) -> (uint80, int256, uint256, uint256, uint80):
    data: Round = self.rounds[round_id]
    assert data.updated_at != 0, "feed: no data present"
    return round_id, data.answer, data.updated_at, data.updated_at, round_id


@external
@view
def getRoundData(_roundId: uint80) -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice (roundId, answer, startedAt, updatedAt, answeredInRound) of round `_roundId`;
            reverts "feed: no data present" for a round never posted.
    """
    return self._round(_roundId)


@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice The latest round, as `getRoundData`; reverts "feed: no data present" before the first.
    """
    return self._round(self.latestRound)
