//! `qiao bench embed`: speed, memory and length-quality of the embedding
//! engine (`qiao-embed`, multilingual-e5-small) on CSL papers (title and
//! abstract), with query latency for a short keyword query and a long
//! enterprise need.

use crate::search::summary;
use crate::{paper_title, read_jsonl};
use anyhow::{Context, bail};
use qiao_embed::{Embedder, ModelFile, Options, Precision};
use std::path::Path;
use std::time::Instant;

/// The CSL papers with title and abstract (the corpus `bench search` uses).
const CSL_PAPERS: usize = 23_829;
/// Window lengths compared against 512 tokens.
const LENGTHS: [usize; 3] = [128, 256, 512];

/// What `qiao bench embed` measures.
#[derive(Debug, Clone)]
pub struct EmbedBench {
    pub docs: usize,
    pub max_tokens: usize,
    pub precision: Precision,
}

/// `q4` or `f32`.
pub fn parse_precision(s: &str) -> anyhow::Result<Precision> {
    match s.to_ascii_lowercase().as_str() {
        "q4" => Ok(Precision::Q4),
        "f32" => Ok(Precision::F32),
        other => bail!("precision must be q4 or f32, not {other:?}"),
    }
}

/// `VmHWM` and `VmRSS` of this process in MiB, from `/proc/self/status`.
fn memory_mib() -> (Option<f64>, Option<f64>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The 1-minute load average: figures taken on a busy machine are lower.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "n/a".into())
}

fn mib(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.0} MiB"))
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum()
}

/// p50 in ms of `runs` embeddings of `query`.
fn query_p50(embedder: &Embedder, query: &str, runs: usize) -> anyhow::Result<f64> {
    embedder.embed_queries(&[query])?;
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        embedder.embed_queries(&[query])?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(summary(ms).0)
}

pub fn run(data: &Path, model: &Path, bench: &EmbedBench) -> anyhow::Result<()> {
    if bench.docs == 0 {
        bail!("--docs must be at least 1");
    }
    let papers = read_jsonl(&data.join("csl-papers.jsonl.gz"), Some(bench.docs))?;
    let texts: Vec<String> = papers
        .iter()
        .map(|p| {
            let abstract_ = p["abstract"].as_str().unwrap_or("").trim();
            format!("{}\n{abstract_}", paper_title(p))
        })
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let short_query = read_jsonl(&data.join("csl-dev-queries.jsonl"), Some(1))?
        .first()
        .and_then(|q| q["keywords"].as_array().cloned())
        .map(|k| {
            k.iter()
                .filter_map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .context("csl-dev-queries.jsonl has no query")?;
    let need = read_jsonl(&data.join("needs-dev.jsonl"), Some(1))?;
    let long_query = need
        .first()
        .map(|n| {
            format!(
                "{} {}",
                n["title"].as_str().unwrap_or(""),
                n["description"].as_str().unwrap_or("")
            )
        })
        .context("needs-dev.jsonl has no need")?;

    let options = |max_tokens| Options {
        max_tokens,
        precision: bench.precision,
        ..Options::default()
    };
    let t = Instant::now();
    // The file's bytes are dropped once the model is built, so the resident
    // size below is the embedder's own.
    let embedder = Embedder::load(model, options(bench.max_tokens))?;
    let load = t.elapsed();
    let (_, rss_loaded) = memory_mib();
    let tokens: Vec<usize> = texts
        .iter()
        .map(|t| embedder.tokenize(&format!("passage: {t}")).len())
        .collect();
    let mean_tokens = tokens.iter().sum::<usize>() as f64 / tokens.len() as f64;
    println!(
        "embed: {} ({:?}, {} tokens per window, {} threads), loaded in {:.2} s",
        embedder.model_id(),
        bench.precision,
        bench.max_tokens,
        embedder.threads(),
        load.as_secs_f64()
    );
    println!(
        "{} CSL papers (title + abstract): {mean_tokens:.0} tokens on average, {} over 512",
        texts.len(),
        tokens.iter().filter(|&&n| n > 512).count()
    );

    let t = Instant::now();
    let vectors = embedder.embed_passages(&texts)?;
    let secs = t.elapsed().as_secs_f64();
    let rate = texts.len() as f64 / secs;
    let (hwm, _) = memory_mib();
    println!(
        "passages: {:.1} documents/s ({:.0} tokens/s); all {CSL_PAPERS} papers in about {:.0} s ({:.1} min); load average {}",
        rate,
        rate * mean_tokens,
        CSL_PAPERS as f64 / rate,
        CSL_PAPERS as f64 / rate / 60.0,
        load_average()
    );
    let short_p50 = query_p50(&embedder, &short_query, 50)?;
    let long_tokens = embedder.tokenize(&format!("query: {long_query}")).len();
    let long_p50 = query_p50(&embedder, &long_query, 20)?;
    println!(
        "queries (p50): short {short_p50:.1} ms ({short_query:?}), long {long_p50:.1} ms (an enterprise need, {long_tokens} tokens)"
    );
    println!(
        "memory: resident after load {}, peak (VmHWM, including the model file read at load) {}",
        mib(rss_loaded),
        mib(hwm)
    );
    drop(embedder);

    // Quality against length: every window length on the same sample,
    // compared with 512-token windows.
    let file = ModelFile::from_path(model)?;
    let mut runs = vec![(bench.max_tokens, rate, vectors)];
    for max_tokens in LENGTHS {
        if max_tokens != bench.max_tokens {
            let embedder = Embedder::from_file(&file, options(max_tokens))?;
            let t = Instant::now();
            let v = embedder.embed_passages(&texts)?;
            runs.push((
                max_tokens,
                texts.len() as f64 / t.elapsed().as_secs_f64(),
                v,
            ));
        }
    }
    runs.sort_by_key(|r| r.0);
    let reference = &runs.iter().find(|r| r.0 == 512).expect("512 is measured").2;
    println!(
        "window length against 512 tokens, same {} papers:",
        texts.len()
    );
    for (max_tokens, rate, v) in &runs {
        let cosines: Vec<f64> = v.iter().zip(reference).map(|(a, b)| cosine(a, b)).collect();
        let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
        let min = cosines.iter().copied().fold(f64::INFINITY, f64::min);
        let split = tokens.iter().filter(|&&n| n > *max_tokens).count();
        println!(
            "  {max_tokens:>3} tokens: {rate:.1} documents/s, mean cosine {mean:.4} (lowest {min:.4}), {split} papers in several windows"
        );
    }
    Ok(())
}
