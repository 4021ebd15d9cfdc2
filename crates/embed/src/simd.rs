//! Element-wise kernels written so that LLVM vectorises them, compiled
//! twice more for AVX2+FMA and AVX-512 and chosen at run time (the default
//! x86-64 target only has SSE2). `exp` and `erf` are polynomial
//! approximations: libm's scalar calls took a quarter of the encoder's time.

/// Defines `pub(crate) fn $name(args)` that runs `$body` compiled for the
/// best instruction set the CPU has.
macro_rules! multiversion {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn generic($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn avx512($($arg: $ty),*) {
                    generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    generic($($arg),*)
                }
                if std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the features were detected just above.
                    return unsafe { avx512($($arg),*) };
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            generic($($arg),*)
        }
    };
}

/// `e^x`, relative error below 2e-7 (Cephes' polynomial after reduction by
/// ln 2); inputs are clamped to the finite range of `f32`.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer
    // without SSE4.1's round instruction.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let k = (x * LOG2E + ROUND) - ROUND;
    let r = x - k * LN2_HI - k * LN2_LO;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((k as i32 + 127) as u32) << 23)
}

/// `erf(x)`, absolute error about 1e-7: the odd/even rational
/// approximation on [-4, 4] used by XLA and Eigen (erf(±4) is ±1 in `f32`).
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_6e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

multiversion! {
    /// `out = gelu(x + bias)` (exact, erf-based GELU) for rows of `bias.len()`.
    fn bias_gelu(out: &mut [f32], x: &[f32], bias: &[f32]) {
        for (o, x) in out.chunks_exact_mut(bias.len()).zip(x.chunks_exact(bias.len())) {
            for ((o, &x), &b) in o.iter_mut().zip(x).zip(bias) {
                let v = x + b;
                *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

multiversion! {
    /// Softmax of each row of `len` values, in place.
    fn softmax_rows(data: &mut [f32], len: usize) {
        for row in data.chunks_exact_mut(len) {
            let max = max(row);
            for x in row.iter_mut() {
                *x = exp(*x - max);
            }
            let inv = 1.0 / sum(row);
            for x in row.iter_mut() {
                *x *= inv;
            }
        }
    }
}

multiversion! {
    /// `row = LayerNorm(x + bias + residual)` per row (two passes over the
    /// values, as the reference: mean, then variance around it).
    fn bias_residual_norm(
        out: &mut [f32],
        x: &[f32],
        residual: &[f32],
        bias: &[f32],
        weight: &[f32],
        beta: &[f32],
        eps: f32
    ) {
        let n = bias.len();
        for ((o, x), r) in out
            .chunks_exact_mut(n)
            .zip(x.chunks_exact(n))
            .zip(residual.chunks_exact(n))
        {
            for (((o, &x), &r), &b) in o.iter_mut().zip(x).zip(r).zip(bias) {
                *o = x + b + r;
            }
            normalize(o, weight, beta, eps);
        }
    }
}

multiversion! {
    /// LayerNorm of one row in place.
    fn layer_norm(row: &mut [f32], weight: &[f32], beta: &[f32], eps: f32) {
        normalize(row, weight, beta, eps)
    }
}

#[inline(always)]
fn normalize(row: &mut [f32], weight: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    let mut lanes = [0f32; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += (v - mean) * (v - mean);
        }
    }
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum();
    let var = (lanes.iter().sum::<f32>() + tail) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, &w), &b) in row.iter_mut().zip(weight).zip(beta) {
        *v = (*v - mean) * inv * w + b;
    }
}

/// Sum with 16 independent lanes, which LLVM keeps in vector registers.
#[inline(always)]
fn sum(row: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

#[inline(always)]
fn max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = if v > *l { v } else { *l };
        }
    }
    let m = lanes.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    chunks.remainder().iter().copied().fold(m, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate_over_the_softmax_range() {
        let mut worst = 0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 87.0 * i as f32 / 200_000.0 + 1.0;
            let want = (x as f64).exp();
            let rel = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 3e-7, "relative error {worst}");
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(0.0) == 1.0);
    }

    #[test]
    fn erf_is_accurate() {
        let mut worst = 0f64;
        for i in 0..=200_000 {
            let x = -6.0 + 12.0 * i as f64 / 200_000.0;
            let got = erf(x as f32) as f64;
            worst = worst.max((got - erf_f64(x)).abs());
        }
        assert!(worst < 5e-7, "absolute error {worst}");
    }

    /// erf by its Taylor series (|x| < 3) or continued fraction, in f64.
    fn erf_f64(x: f64) -> f64 {
        if x.abs() < 3.0 {
            let mut term = x;
            let mut sum = x;
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(x) = exp(-x²)/(x√π) · 1/(1 + 1/(2x²)/(1 + 2/(2x²)/(1 + …)))
            let a = x.abs();
            let mut f = 0.0;
            for n in (1..60).rev() {
                f = n as f64 / 2.0 / (a * a) / (1.0 + f);
            }
            let erfc = (-a * a).exp() / (a * std::f64::consts::PI.sqrt()) / (1.0 + f);
            (1.0 - erfc).copysign(x)
        }
    }

    #[test]
    fn kernels_match_plain_formulas() {
        let x: Vec<f32> = (0..96).map(|i| (i as f32 - 48.0) / 7.0).collect();
        let bias: Vec<f32> = (0..32).map(|i| i as f32 / 64.0).collect();
        let mut out = vec![0f32; 96];
        bias_gelu(&mut out, &x, &bias);
        for (i, o) in out.iter().enumerate() {
            let v = (x[i] + bias[i % 32]) as f64;
            let want = 0.5 * v * (1.0 + erf_f64(v / 2f64.sqrt()));
            assert!((*o as f64 - want).abs() < 1e-5, "{o} vs {want}");
        }

        let mut rows = x.clone();
        softmax_rows(&mut rows, 24);
        for (row, src) in rows.chunks(24).zip(x.chunks(24)) {
            let m = src.iter().copied().fold(f32::MIN, f32::max) as f64;
            let z: f64 = src.iter().map(|&v| (v as f64 - m).exp()).sum();
            for (r, &s) in row.iter().zip(src) {
                assert!((*r as f64 - (s as f64 - m).exp() / z).abs() < 1e-6);
            }
        }

        let mut norm = vec![0f32; 96];
        let ones = vec![1f32; 32];
        let zeros = vec![0f32; 32];
        bias_residual_norm(&mut norm, &x, &x, &zeros, &ones, &zeros, 0.0);
        for row in norm.chunks(32) {
            let mean: f32 = row.iter().sum::<f32>() / 32.0;
            let var: f32 = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 32.0;
            assert!(
                mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
                "{mean} {var}"
            );
        }
    }
}
