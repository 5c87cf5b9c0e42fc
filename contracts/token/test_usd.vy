# pragma version ~=0.4.3
"""
@title Test USD
@notice The devnet's collateral token: an ERC-20 with 6 decimals (like USDC). One unit
        (1e-6 tUSD) is one collateral unit e6 on L2. The minter (the deployer) can mint;
        this exists only on development chains.
@dev Reverts are prefixed "token: ".
"""

from ethereum.ercs import IERC20

implements: IERC20

name: public(constant(String[16])) = "Test USD"
symbol: public(constant(String[8])) = "tUSD"
decimals: public(constant(uint8)) = 6

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)
minter: public(address)

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__():
    self.minter = msg.sender


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Move `amount` units from the caller to `receiver`.
    """
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    """
    @notice Move `amount` units from `owner` (who approved the caller) to `receiver`.
    """
    allowed: uint256 = self.allowance[owner][msg.sender]
    assert allowed >= amount, "token: insufficient allowance"
    if allowed != max_value(uint256):
        self.allowance[owner][msg.sender] = allowed - amount
    self._transfer(owner, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Let `spender` move up to `amount` of the caller's units.
    """
    assert spender != empty(address), "token: approve to the zero address"
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Create `amount` units for `receiver` (minter only; development chains).
    """
    assert msg.sender == self.minter, "token: caller is not the minter"
    assert receiver != empty(address), "token: mint to the zero address"
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@internal
def _transfer(owner: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "token: transfer to the zero address"
    balance: uint256 = self.balanceOf[owner]
    assert balance >= amount, "token: insufficient balance"
    self.balanceOf[owner] = balance - amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=owner, receiver=receiver, value=amount)
