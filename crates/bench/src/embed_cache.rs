//! Vectors computed once per text and kept on disk between benchmark runs:
//! each run sets up fresh databases, and embedding the CSL papers takes
//! close to half an hour on two cores, while the vectors of a text never
//! change for one model.
//!
//! The file (`<dir>/<model id>.vectors`) is a sequence of records: the
//! SHA-256 of the prefixed text (32 bytes), then the vector as little-endian
//! `f32`s. Records are appended after each model call; a record cut short by
//! an interrupted run is ignored.

use anyhow::Context;
use qiao_app::embeddings::Embed;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

type Key = [u8; 32];

/// An embedding engine that asks its inner engine only for texts it has
/// not seen.
pub struct CachedEmbed<E> {
    inner: E,
    vectors: Mutex<HashMap<Key, Vec<f32>>>,
    file: Mutex<BufWriter<File>>,
    path: PathBuf,
}

fn key(prefix: &str, text: &str) -> Key {
    let mut h = Sha256::new();
    h.update(prefix.as_bytes());
    h.update(text.as_bytes());
    h.finalize().into()
}

/// The default cache folder: `qiao-bench-vectors` in the system's temporary folder.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("qiao-bench-vectors")
}

impl<E: Embed> CachedEmbed<E> {
    pub fn open(inner: E, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name: String = inner
            .model_id()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = dir.join(format!("{name}.vectors"));
        let dim = inner.dim();
        let record = 32 + 4 * dim;
        let mut vectors = HashMap::new();
        if let Ok(mut f) = File::open(&path) {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            for r in bytes.chunks_exact(record) {
                let k: Key = r[..32].try_into().expect("32 bytes");
                let v = r[32..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect();
                vectors.insert(k, v);
            }
            // Drop a torn last record so that appends stay aligned.
            let whole = (bytes.len() / record * record) as u64;
            if whole != bytes.len() as u64 {
                OpenOptions::new().write(true).open(&path)?.set_len(whole)?;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            inner,
            vectors: Mutex::new(vectors),
            file: Mutex::new(BufWriter::new(file)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Vectors held.
    pub fn len(&self) -> usize {
        self.vectors.lock().expect("cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cached(
        &self,
        prefix: &str,
        texts: &[&str],
        compute: impl FnOnce(&[&str]) -> anyhow::Result<Vec<Vec<f32>>>,
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let keys: Vec<Key> = texts.iter().map(|t| key(prefix, t)).collect();
        let missing: Vec<usize> = {
            let v = self.vectors.lock().expect("cache lock");
            (0..texts.len())
                .filter(|i| !v.contains_key(&keys[*i]))
                .collect()
        };
        if !missing.is_empty() {
            let todo: Vec<&str> = missing.iter().map(|i| texts[*i]).collect();
            let computed = compute(&todo)?;
            let mut v = self.vectors.lock().expect("cache lock");
            let mut f = self.file.lock().expect("cache file lock");
            for (i, vector) in missing.iter().zip(computed) {
                f.write_all(&keys[*i])?;
                for x in &vector {
                    f.write_all(&x.to_le_bytes())?;
                }
                v.insert(keys[*i], vector);
            }
            f.flush()?;
        }
        let v = self.vectors.lock().expect("cache lock");
        Ok(keys.iter().map(|k| v[k].clone()).collect())
    }
}

impl<E: Embed> Embed for CachedEmbed<E> {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed_passages(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        self.cached("passage: ", texts, |t| self.inner.embed_passages(t))
    }

    fn embed_queries(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        self.cached("query: ", texts, |t| self.inner.embed_queries(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl Embed for Counting {
        fn model_id(&self) -> &str {
            "counting/1"
        }
        fn dim(&self) -> usize {
            2
        }
        fn embed_passages(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
            self.0.fetch_add(texts.len(), Ordering::Relaxed);
            Ok(texts.iter().map(|t| vec![t.len() as f32, 1.0]).collect())
        }
        fn embed_queries(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
            self.0.fetch_add(texts.len(), Ordering::Relaxed);
            Ok(texts.iter().map(|t| vec![t.len() as f32, -1.0]).collect())
        }
    }

    #[test]
    fn a_text_is_embedded_once_across_runs_and_prefixes_stay_apart() {
        let dir = tempfile::tempdir().unwrap();
        let first = CachedEmbed::open(Counting(AtomicUsize::new(0)), dir.path()).unwrap();
        let v = first.embed_passages(&["ab", "abc"]).unwrap();
        assert_eq!(v, vec![vec![2.0, 1.0], vec![3.0, 1.0]]);
        first.embed_passages(&["abc", "abcd"]).unwrap();
        assert_eq!(first.inner.0.load(Ordering::Relaxed), 3);
        assert_eq!(first.embed_queries(&["ab"]).unwrap(), vec![vec![2.0, -1.0]]);
        drop(first);

        let again = CachedEmbed::open(Counting(AtomicUsize::new(0)), dir.path()).unwrap();
        assert_eq!(again.len(), 4);
        assert_eq!(
            again.embed_passages(&["abcd", "ab"]).unwrap(),
            vec![vec![4.0, 1.0], vec![2.0, 1.0]]
        );
        assert_eq!(again.inner.0.load(Ordering::Relaxed), 0);
    }
}
