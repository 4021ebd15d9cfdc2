//! Facet counts over every matching listing, from the `facets` fast column.
//!
//! Each document holds `key:value` terms in one dictionary-encoded column, so
//! counting is one column read per matching document into a per-segment
//! array indexed by term ordinal; ordinals are turned into strings only for
//! the terms that occurred.

use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::FacetCount;
use crate::schema::{FACET_KEYS, FACETS_FIELD};

pub(crate) struct FacetCollector;

pub(crate) struct FacetSegmentCollector {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl Collector for FacetCollector {
    type Fruit = HashMap<String, u64>;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let column = segment.fast_fields().str(FACETS_FIELD)?;
        let counts = vec![0; column.as_ref().map_or(0, |c| c.num_terms())];
        Ok(FacetSegmentCollector { column, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<String, u64>>) -> tantivy::Result<Self::Fruit> {
        let mut merged = HashMap::new();
        for fruit in fruits {
            for (term, count) in fruit {
                *merged.entry(term).or_insert(0) += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = HashMap<String, u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                self.counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = HashMap::new();
        let Some(column) = self.column else {
            return out;
        };
        let mut term = String::new();
        for (ord, &count) in self.counts.iter().enumerate() {
            if count > 0 && column.ord_to_str(ord as u64, &mut term).unwrap_or(false) {
                out.insert(term.clone(), count);
            }
        }
        out
    }
}

/// Groups `key:value` counts by facet key, most frequent value first; every
/// facet key is present, possibly with no values.
pub(crate) fn group(counts: HashMap<String, u64>) -> BTreeMap<String, Vec<FacetCount>> {
    let mut facets: BTreeMap<String, Vec<FacetCount>> = FACET_KEYS
        .iter()
        .map(|k| (k.to_string(), Vec::new()))
        .collect();
    for (term, count) in counts {
        if let Some((key, value)) = term.split_once(':')
            && let Some(values) = facets.get_mut(key)
        {
            values.push(FacetCount {
                value: value.to_string(),
                count,
            });
        }
    }
    for values in facets.values_mut() {
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    }
    facets
}
