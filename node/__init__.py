"""optrollup: an optimistic rollup for options trading. Kept light: importing node.stf pulls in no server code."""
