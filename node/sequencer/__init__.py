"""The sequencer: the mempool's door checks, FIFO ordering, block production, soft confirmations.

Unlike ``node.stf`` this package does I/O (asyncio, clocks); it drives the pure STF.
"""
