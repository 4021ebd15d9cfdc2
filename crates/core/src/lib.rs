//! Qiao's domain core: the vocabularies (industry fields, organization kinds,
//! cooperation modes, maturity levels, statuses) with their stable codes and
//! Chinese/English labels, value types such as unified social credit codes,
//! regions and amounts in 万元, and the validation that turns loosely typed
//! input rows (from files or HTTP) into checked records. It performs no I/O,
//! so every other crate can depend on it and it can be tested in isolation.

pub mod access;
pub mod actor;
pub mod credit_code;
pub mod event;
pub mod money;
pub mod project;
pub mod record;
pub mod region;
pub mod stored;
pub mod text;
pub mod trl;
pub mod vocab;

pub use access::Scope;
pub use actor::Actor;
pub use credit_code::CreditCode;
pub use money::Wan;
pub use region::Region;
pub use trl::Trl;
