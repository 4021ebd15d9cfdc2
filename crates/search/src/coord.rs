//! A disjunction that rewards covering every part of the query.
//!
//! Users type a few keywords separated by spaces; a listing that contains all
//! of them is usually what they want, even when another listing repeats one
//! keyword many times. Plain BM25 sums cannot express that, so the sum of the
//! parts' scores is multiplied by a coordination factor,
//! `(matched parts / all parts) ^ exponent` (Lucene's classic `coord`,
//! softened by the exponent).

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

#[derive(Debug)]
pub(crate) struct CoordQuery {
    parts: Vec<Box<dyn Query>>,
    exponent: f32,
}

impl Clone for CoordQuery {
    fn clone(&self) -> Self {
        Self {
            parts: self.parts.iter().map(|q| q.box_clone()).collect(),
            exponent: self.exponent,
        }
    }
}

impl CoordQuery {
    pub(crate) fn new(parts: Vec<Box<dyn Query>>, exponent: f32) -> Self {
        Self { parts, exponent }
    }
}

impl Query for CoordQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let parts = self
            .parts
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(CoordWeight {
            parts,
            exponent: self.exponent,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for part in &self.parts {
            part.query_terms(visitor);
        }
    }
}

struct CoordWeight {
    parts: Vec<Box<dyn Weight>>,
    exponent: f32,
}

impl Weight for CoordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorers = self
            .parts
            .iter()
            .map(|w| w.scorer(reader, boost))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(CoordScorer::new(scorers, self.exponent)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new(
            "sum of the parts times coordination",
            scorer.score(),
        ))
    }
}

/// The union of the parts' scorers (a handful, so a linear scan per
/// document is cheapest) scoring the coordinated sum.
struct CoordScorer {
    parts: Vec<Box<dyn Scorer>>,
    /// The factor for each number of matched parts.
    factors: Vec<Score>,
    doc: DocId,
}

impl CoordScorer {
    fn new(parts: Vec<Box<dyn Scorer>>, exponent: f32) -> Self {
        // Parts without postings in this segment still count in the total.
        let total = parts.len().max(1) as f32;
        let factors = (0..=parts.len())
            .map(|matched| (matched as f32 / total).powf(exponent))
            .collect();
        let parts: Vec<_> = parts
            .into_iter()
            .filter(|p| p.doc() != TERMINATED)
            .collect();
        let doc = parts.iter().map(|p| p.doc()).min().unwrap_or(TERMINATED);
        Self {
            parts,
            factors,
            doc,
        }
    }
}

impl DocSet for CoordScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        let mut next = TERMINATED;
        for part in &mut self.parts {
            let doc = if part.doc() == current {
                part.advance()
            } else {
                part.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for part in &mut self.parts {
            let doc = if part.doc() < target {
                part.seek(target)
            } else {
                part.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts.iter().map(|p| p.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for CoordScorer {
    fn score(&mut self) -> Score {
        let mut sum = 0.0;
        let mut matched = 0usize;
        for part in &mut self.parts {
            if part.doc() == self.doc {
                sum += part.score();
                matched += 1;
            }
        }
        sum * self.factors[matched]
    }
}
