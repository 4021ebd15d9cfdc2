//! Match scoring with explanations and the plan-wide assignment of
//! capabilities to needs. Pure algorithms over plain data: no I/O, so every
//! rule can be unit-tested and the exact solver checked against brute force.

pub mod assign;
pub mod confidence;
pub mod flow;
pub mod schedule;
pub mod score;
pub mod weights;
