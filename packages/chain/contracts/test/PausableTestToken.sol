// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice Tests only: a token whose owner can make every transfer revert (OpenZeppelin's
/// ERC20Pausable), to send the payout loop a transfer that is mined and reverted.
contract PausableTestToken is ERC20, ERC20Pausable, Ownable {
    constructor(address treasury, uint256 supply) ERC20("Pausable Test Token", "PTEST") Ownable(msg.sender) {
        _mint(treasury, supply);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        super._update(from, to, value);
    }
}
