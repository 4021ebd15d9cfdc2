#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use qiao_search::{Audience, SearchIndex, SearchQuery};

// Empty: the query is still normalized, segmented and turned into tantivy
// queries, and this target needs no `Doc`, whose fields keep changing.
static INDEX: LazyLock<SearchIndex> =
    LazyLock::new(|| SearchIndex::open_in_ram(&["储能电池".to_owned()]).expect("index in RAM"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = qiao_search::analyze(text);
    let _ = INDEX.search(&SearchQuery::new(text, Audience::Public));
});
