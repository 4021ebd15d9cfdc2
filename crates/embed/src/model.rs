//! The BERT-style XLM-R encoder of `e5.c`: word + position + token-type
//! embeddings and LayerNorm, then post-LayerNorm layers of self-attention and
//! a GELU feed-forward block. Token rows of several windows are packed into
//! one `[T, H]` matrix (no padding): the weight matmuls stream each weight
//! once for the whole batch and attention stays within each window.

use crate::Error;
use crate::file::{Dims, Parsed, Q4_BLOCK_BYTES, QK, dequantize_q4};
use crate::ops::{Attention, BiasGelu, BiasResidualNorm, Segment};
use crate::simd;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor, ggml_file::qtensor_from_ggml};
use candle_core::{Device, Module, Storage, Tensor};

/// How the weight matrices are multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Weights dequantized to `f32` once at load (about 75 MB more memory);
    /// matmuls in `f32` by gemm's AVX-512/AVX2 kernels. The default: about
    /// ten times less CPU time per document than `Q4` on x86-64.
    #[default]
    F32,
    /// Weights kept as the file's 4-bit Q4_0 blocks; activations quantized
    /// to 8 bits per 32-value block for each matmul (candle's `QMatMul`,
    /// whose kernel takes one row-column dot product at a time).
    Q4,
}

enum Weight {
    /// `[in, out]`, contiguous: gemm then reads rows of the weights with
    /// vector loads and needs not repack them for short inputs (queries).
    F32(Tensor),
    Q4(QMatMul),
}

impl Weight {
    /// `x @ W^T` for `x: [T, in]`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Weight::F32(w_t) => x.matmul(w_t),
            Weight::Q4(m) => m.forward(x),
        }
    }
}

struct Layer {
    qkv: Weight,
    qkv_bias: Vec<f32>,
    out: Weight,
    out_bias: Vec<f32>,
    attn_norm: (Vec<f32>, Vec<f32>),
    up: Weight,
    up_bias: Vec<f32>,
    down: Weight,
    down_bias: Vec<f32>,
    out_norm: (Vec<f32>, Vec<f32>),
}

pub(crate) struct Encoder {
    pub dims: Dims,
    /// Word embeddings stay as Q4_0 blocks; rows are decoded on lookup.
    word: Vec<u8>,
    /// Position rows plus the (only) token type row, pre-added.
    pos_type: Vec<f32>,
    emb_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

fn weight(precision: Precision, blocks: &[u8], rows: usize, cols: usize) -> Result<Weight, Error> {
    Ok(match precision {
        Precision::F32 => {
            let mut w = Vec::with_capacity(rows * cols);
            dequantize_q4(blocks, &mut w);
            Weight::F32(
                Tensor::from_vec(w, (rows, cols), &Device::Cpu)?
                    .t()?
                    .contiguous()?,
            )
        }
        Precision::Q4 => {
            let q: QTensor =
                qtensor_from_ggml(GgmlDType::Q4_0, blocks, vec![rows, cols], &Device::Cpu)?;
            Weight::Q4(QMatMul::from_qtensor(q)?)
        }
    })
}

impl Encoder {
    pub fn load(parsed: &Parsed<'_>, precision: Precision) -> Result<Self, Error> {
        let d = parsed.dims;
        let (h, ff) = (d.hidden, d.ffn);
        let word = parsed.q4("emb.word", d.vocab * h)?.to_vec();
        let pos = parsed.f32("emb.pos", d.max_positions * h)?;
        // Token type 0 is the only one used.
        let typ = parsed.f32("emb.type", d.type_vocab * h)?;
        let typ = &typ[..h];
        let pos_type = pos
            .chunks_exact(h)
            .flat_map(|row| row.iter().zip(typ).map(|(p, t)| p + t))
            .collect();
        let emb_norm = (parsed.f32("emb.ln.w", h)?, parsed.f32("emb.ln.b", h)?);
        let mut layers = Vec::with_capacity(d.layers);
        for l in 0..d.layers {
            let name = |s: &str| format!("l{l}.{s}");
            let mut qkv_blocks = Vec::with_capacity(3 * h * h / QK * Q4_BLOCK_BYTES);
            let mut qkv_bias = Vec::with_capacity(3 * h);
            for part in ["q", "k", "v"] {
                qkv_blocks.extend_from_slice(parsed.q4(&name(&format!("{part}.w")), h * h)?);
                qkv_bias.extend(parsed.f32(&name(&format!("{part}.b")), h)?);
            }
            layers.push(Layer {
                qkv: weight(precision, &qkv_blocks, 3 * h, h)?,
                qkv_bias,
                out: weight(precision, parsed.q4(&name("ao.w"), h * h)?, h, h)?,
                out_bias: parsed.f32(&name("ao.b"), h)?,
                attn_norm: (
                    parsed.f32(&name("aln.w"), h)?,
                    parsed.f32(&name("aln.b"), h)?,
                ),
                up: weight(precision, parsed.q4(&name("fi.w"), ff * h)?, ff, h)?,
                up_bias: parsed.f32(&name("fi.b"), ff)?,
                down: weight(precision, parsed.q4(&name("fo.w"), h * ff)?, h, ff)?,
                down_bias: parsed.f32(&name("fo.b"), h)?,
                out_norm: (
                    parsed.f32(&name("oln.w"), h)?,
                    parsed.f32(&name("oln.b"), h)?,
                ),
            });
        }
        Ok(Self {
            dims: d,
            word,
            pos_type,
            emb_norm,
            layers,
        })
    }

    /// Runs the packed windows (each a full `<s> … </s>` id sequence of at
    /// most `max_positions` tokens) and returns each window's mean-pooled,
    /// unnormalised vector.
    pub fn forward(&self, windows: &[&[u32]]) -> Result<Vec<Vec<f32>>, Error> {
        let h = self.dims.hidden;
        let row_blocks = h / QK * Q4_BLOCK_BYTES;
        let mut segments = Vec::with_capacity(windows.len());
        let mut t = 0;
        for w in windows {
            if w.is_empty() || w.len() > self.dims.max_positions {
                return Err(Error::Malformed(format!("window of {} tokens", w.len())));
            }
            segments.push(Segment {
                start: t,
                len: w.len(),
            });
            t += w.len();
        }

        let mut x = Vec::with_capacity(t * h);
        for w in windows {
            for (p, &id) in w.iter().enumerate() {
                let id = id as usize;
                if id >= self.dims.vocab {
                    return Err(Error::Malformed(format!("token id {id} out of range")));
                }
                let start = x.len();
                dequantize_q4(&self.word[id * row_blocks..(id + 1) * row_blocks], &mut x);
                let row = &mut x[start..];
                for (v, pt) in row.iter_mut().zip(&self.pos_type[p * h..(p + 1) * h]) {
                    *v += pt;
                }
                simd::layer_norm(row, &self.emb_norm.0, &self.emb_norm.1, self.dims.eps);
            }
        }
        let mut x = Tensor::from_vec(x, (t, h), &Device::Cpu)?;

        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let ctx = qkv.apply_op1_no_bwd(&Attention {
                segments: &segments,
                bias: &layer.qkv_bias,
                heads: self.dims.heads,
            })?;
            let attn = layer.out.forward(&ctx)?;
            x = attn.apply_op2_no_bwd(
                &x,
                &BiasResidualNorm {
                    bias: &layer.out_bias,
                    weight: &layer.attn_norm.0,
                    beta: &layer.attn_norm.1,
                    eps: self.dims.eps,
                },
            )?;
            let mid = layer.up.forward(&x)?.apply_op1_no_bwd(&BiasGelu {
                bias: &layer.up_bias,
            })?;
            let down = layer.down.forward(&mid)?;
            x = down.apply_op2_no_bwd(
                &x,
                &BiasResidualNorm {
                    bias: &layer.down_bias,
                    weight: &layer.out_norm.0,
                    beta: &layer.out_norm.1,
                    eps: self.dims.eps,
                },
            )?;
        }

        let (storage, layout) = x.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            return Err(Error::Malformed("expected CPU storage".into()));
        };
        let data = &cpu.as_slice::<f32>()?[layout.start_offset()..];
        Ok(segments
            .iter()
            .map(|s| {
                let mut mean = vec![0f32; h];
                for row in data[s.start * h..(s.start + s.len) * h].chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                let inv = 1.0 / s.len as f32;
                mean.iter_mut().for_each(|m| *m *= inv);
                mean
            })
            .collect())
    }
}
