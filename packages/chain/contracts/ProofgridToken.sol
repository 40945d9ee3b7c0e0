// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Proofgrid's token.
/// @notice A fixed supply minted once to the treasury (the payout wallet). Six decimals, the
/// ledger's base units (1 token = 10^6), so a ledger amount is the on-chain amount as it is:
/// no conversion, no rounding between the books and the chain.
contract ProofgridToken is ERC20 {
    constructor(address treasury, uint256 supply) ERC20("Proofgrid Token", "PGRID") {
        _mint(treasury, supply);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
