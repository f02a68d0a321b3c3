"""The question-answering agent: retrieve the clauses in force, generate from them only, verify
every citation after generation, and answer with verbatim clause text or abstain."""
