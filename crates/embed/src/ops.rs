//! The encoder's CPU kernels besides the weight matmuls, as candle custom
//! ops: attention over packed (unpadded) segments, bias + GELU, and bias +
//! residual + LayerNorm. They run on the caller's rayon pool, so the
//! embedder's thread count bounds them.

use crate::simd;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, bail};
use rayon::prelude::*;

/// Rows per parallel task of the row-wise kernels: enough work to outweigh
/// the task's overhead.
const ROWS_PER_TASK: usize = 16;

fn contiguous<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("expected a contiguous tensor"),
    }
}

fn dims2(layout: &Layout) -> Result<(usize, usize)> {
    layout.shape().dims2()
}

/// A segment of the packed token rows: one window of one text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub start: usize,
    pub len: usize,
}

/// Multi-head self-attention within each segment. Input: the fused Q/K/V
/// projections `[T, 3H]` without bias; output: the context `[T, H]`.
pub(crate) struct Attention<'a> {
    pub segments: &'a [Segment],
    pub bias: &'a [f32],
    pub heads: usize,
}

/// Shares the output buffer between tasks that write disjoint parts of it.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: every task writes its own (segment rows x head columns) block.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// A method, so closures capture the `Sync` wrapper, not the raw field.
    ///
    /// # Safety
    /// `offset` must lie within the buffer.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: per the contract above.
        unsafe { self.0.add(offset) }
    }
}

impl CustomOp1 for Attention<'_> {
    fn name(&self) -> &'static str {
        "segment-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let qkv = contiguous(storage, layout)?;
        let (t, three_h) = dims2(layout)?;
        let h = three_h / 3;
        let hd = h / self.heads;
        if three_h != 3 * h || hd * self.heads != h || self.bias.len() != three_h {
            bail!(
                "attention: bad shapes [{t}, {three_h}], {} heads",
                self.heads
            );
        }
        if self.segments.iter().map(|s| s.start + s.len).max() > Some(t) {
            bail!("attention: segment beyond {t} rows");
        }
        let scale = 1.0 / (hd as f32).sqrt();
        let mut out = vec![0f32; t * h];
        let out_ptr = SendPtr(out.as_mut_ptr());

        let tasks: Vec<(usize, usize)> = (0..self.segments.len())
            .flat_map(|s| (0..self.heads).map(move |head| (s, head)))
            .collect();
        tasks.par_iter().for_each_init(
            || (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
            |(q, k, v, scores), &(s, head)| {
                let Segment { start, len } = self.segments[s];
                let col = head * hd;
                // Gather this head's rows with their bias; Q pre-scaled.
                for (buf, part, mul) in [
                    (&mut *q, 0, scale),
                    (&mut *k, h, 1.0),
                    (&mut *v, 2 * h, 1.0),
                ] {
                    buf.clear();
                    let bias = &self.bias[part + col..part + col + hd];
                    for r in start..start + len {
                        let row = &qkv[r * three_h + part + col..][..hd];
                        buf.extend(row.iter().zip(bias).map(|(x, b)| (x + b) * mul));
                    }
                }
                scores.clear();
                scores.resize(len * len, 0.0);
                // SAFETY: the slices hold len x hd and len x len values with
                // the strides given.
                unsafe {
                    gemm::gemm(
                        len,
                        len,
                        hd,
                        scores.as_mut_ptr(),
                        1,
                        len as isize,
                        false,
                        q.as_ptr(),
                        1,
                        hd as isize,
                        k.as_ptr(),
                        hd as isize,
                        1,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                simd::softmax_rows(scores, len);
                // SAFETY: segments were checked to lie within the t rows; the
                // destination block (rows start.., columns col..col + hd, row
                // stride h) belongs to this task alone.
                unsafe {
                    gemm::gemm(
                        len,
                        hd,
                        len,
                        out_ptr.at(start * h + col),
                        1,
                        h as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        len as isize,
                        v.as_ptr(),
                        1,
                        hd as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
            },
        );
        Ok((CpuStorage::F32(out), Shape::from((t, h))))
    }
}

/// `gelu(x + bias)` with the exact (erf) GELU, row by row.
pub(crate) struct BiasGelu<'a> {
    pub bias: &'a [f32],
}

impl CustomOp1 for BiasGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(storage, layout)?;
        let (t, n) = dims2(layout)?;
        if n != self.bias.len() {
            bail!("bias-gelu: {n} columns, bias of {}", self.bias.len());
        }
        let mut out = vec![0f32; t * n];
        out.par_chunks_mut(n * ROWS_PER_TASK)
            .zip(x.par_chunks(n * ROWS_PER_TASK))
            .for_each(|(o, x)| simd::bias_gelu(o, x, self.bias));
        Ok((CpuStorage::F32(out), Shape::from((t, n))))
    }
}

/// `LayerNorm(x + bias + residual)`; the op's first input is `x`, the second
/// the residual. Two-pass mean and variance, as the reference computes them.
pub(crate) struct BiasResidualNorm<'a> {
    pub bias: &'a [f32],
    pub weight: &'a [f32],
    pub beta: &'a [f32],
    pub eps: f32,
}

impl CustomOp2 for BiasResidualNorm<'_> {
    fn name(&self) -> &'static str {
        "bias-residual-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1)?;
        let res = contiguous(s2, l2)?;
        let (t, n) = dims2(l1)?;
        if dims2(l2)? != (t, n) || self.bias.len() != n || self.weight.len() != n {
            bail!("bias-residual-layer-norm: bad shapes");
        }
        let mut out = vec![0f32; t * n];
        let chunk = n * ROWS_PER_TASK;
        out.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk).zip(res.par_chunks(chunk)))
            .for_each(|(o, (x, r))| {
                simd::bias_residual_norm(o, x, r, self.bias, self.weight, self.beta, self.eps)
            });
        Ok((CpuStorage::F32(out), Shape::from((t, n))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// Plain attention of one segment, one head at a time.
    fn naive(qkv: &[f32], t: usize, h: usize, heads: usize, seg: Segment) -> Vec<f32> {
        let hd = h / heads;
        let mut out = vec![0f32; t * h];
        for head in 0..heads {
            for i in seg.start..seg.start + seg.len {
                let q = &qkv[i * 3 * h + head * hd..][..hd];
                let scores: Vec<f32> = (seg.start..seg.start + seg.len)
                    .map(|j| {
                        let k = &qkv[j * 3 * h + h + head * hd..][..hd];
                        q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() / (hd as f32).sqrt()
                    })
                    .collect();
                let max = scores.iter().copied().fold(f32::MIN, f32::max);
                let e: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                for (jj, j) in (seg.start..seg.start + seg.len).enumerate() {
                    let v = &qkv[j * 3 * h + 2 * h + head * hd..][..hd];
                    for d in 0..hd {
                        out[i * h + head * hd + d] += e[jj] / sum * v[d];
                    }
                }
            }
        }
        out
    }

    #[test]
    fn segments_attend_only_to_themselves() {
        let (t, h, heads) = (7, 8, 2);
        let qkv: Vec<f32> = (0..t * 3 * h)
            .map(|i| ((i * 7919 % 101) as f32 / 50.0) - 1.0)
            .collect();
        let segments = [Segment { start: 0, len: 3 }, Segment { start: 3, len: 4 }];
        let bias = vec![0f32; 3 * h];
        let x = Tensor::from_vec(qkv.clone(), (t, 3 * h), &Device::Cpu).unwrap();
        let got = x
            .apply_op1_no_bwd(&Attention {
                segments: &segments,
                bias: &bias,
                heads,
            })
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut want = naive(&qkv, t, h, heads, segments[0]);
        let second = naive(&qkv, t, h, heads, segments[1]);
        for (w, s) in want.iter_mut().zip(second) {
            *w += s;
        }
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    #[test]
    fn layer_norm_of_a_constant_row_is_beta() {
        let mut row = vec![3.0; 4];
        simd::layer_norm(&mut row, &[2.0; 4], &[0.5; 4], 1e-12);
        assert_eq!(row, vec![0.5; 4]);
        let mut row = vec![1.0, 3.0];
        simd::layer_norm(&mut row, &[1.0; 2], &[0.0; 2], 0.0);
        assert_eq!(row, vec![-1.0, 1.0]);
    }
}
