"""The challenger's package, split like op-program.

- ``prover.client``: pure. Trace positions, the claim at a position, the witness of one
  step and its re-execution, every input read through a hash-checked source. Imports only
  the STF (``node.stf``) and the batch commitment (``node.l1.batch_chunks``), never the
  node's servers, store or L1 client.
- ``prover.host``: the I/O. Reads batches and queue entries from L1 and the pre-state of a
  batch from the node's store, and hands them to the client.
"""
