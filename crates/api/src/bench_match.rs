//! `qiao bench match`: relevance and speed of match suggestions and of the
//! plan-wide assignment on the real documents.

use std::path::Path;

pub async fn run(_data: &Path) -> anyhow::Result<()> {
    anyhow::bail!("the match benchmark is not available in this build")
}
