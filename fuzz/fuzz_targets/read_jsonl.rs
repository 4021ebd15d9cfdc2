#![no_main]

use libfuzzer_sys::fuzz_target;
use qiao_tabular::{Format, read_rows_from_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = read_rows_from_bytes(Format::Jsonl, data);
});
