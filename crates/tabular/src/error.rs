use std::path::PathBuf;

/// Everything that can go wrong while reading or writing a tabular file.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", unsupported_message(.0))]
    UnsupportedFormat(String),
    #[error("{0}")]
    Encoding(String),
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("XLSX: {0}")]
    Xlsx(String),
    #[error("duplicate column header \"{0}\"")]
    DuplicateHeader(String),
    /// The caller handed `write_table` a table that cannot be written.
    #[error("invalid table: {0}")]
    InvalidTable(String),
}

fn unsupported_message(ext: &str) -> String {
    if ext.is_empty() {
        "file has no extension; expected .jsonl, .csv or .xlsx".to_owned()
    } else {
        format!("unsupported file extension \".{ext}\"; expected .jsonl, .csv or .xlsx")
    }
}
