//! Collects the outcome of every cell so that one run names every leak,
//! not just the first; bodies are read leniently for the same reason.

use serde_json::Value;

pub struct Cells {
    label: &'static str,
    checked: usize,
    failed: Vec<String>,
}

impl Cells {
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            checked: 0,
            failed: Vec::new(),
        }
    }

    /// Records one cell; `cell` describes it (path, listing, viewer, what came back).
    pub fn check(&mut self, ok: bool, cell: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.failed.push(cell());
        }
    }

    pub fn finish(self) {
        assert!(self.checked > 0, "no cell was checked");
        assert!(
            self.failed.is_empty(),
            "{}: {} of {} cells fail:\n  {}",
            self.label,
            self.failed.len(),
            self.checked,
            self.failed.join("\n  ")
        );
        eprintln!("{}: {} cells pass", self.label, self.checked);
    }
}

/// The start of a body, for reports.
pub fn excerpt(body: &str) -> String {
    body.chars().take(300).collect()
}

/// A JSON body, or `null` when it is not JSON.
pub fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// The `items` of a JSON answer (none when absent).
pub fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}
