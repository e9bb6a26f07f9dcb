"""Digital Factory: the whole product loop, from the board's bets to the customers' data, in one place."""

__version__ = "0.1.0"
