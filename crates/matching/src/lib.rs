//! Match scoring with explanations, plan-wide assignment and meeting scheduling. Pure algorithms over plain data: no I/O, so every rule can be unit-tested.
