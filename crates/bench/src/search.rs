//! `qiao bench search`: relevance and speed of search on the real documents,
//! through the same code path as `GET /api/v1/search`, with SQLite FTS5
//! (trigram tokenizer) measured alongside on the same documents and queries.

use crate::{all_capability_rows, csl_capability_rows, percent_encode, read_jsonl};
use anyhow::{Context, bail};
use qiao_app::Config;
use qiao_app::search::{SearchRequest as SearchParams, run as run_search, to_query};
use qiao_app::transfer::{Kind, import_rows};
use qiao_core::Actor;
use qiao_search::{Audience, SearchIndex};
use qiao_store::Store;
use qiao_store::sea_orm::{ConnectionTrait, Statement};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// A dev query: two author keywords and the paper they come from.
struct DevQuery {
    text: String,
    target: String,
}

fn dev_queries(data: &Path) -> anyhow::Result<Vec<DevQuery>> {
    Ok(read_jsonl(&data.join("csl-dev-queries.jsonl"), None)?
        .into_iter()
        .filter_map(|q| {
            let kws: Vec<&str> = q["keywords"]
                .as_array()?
                .iter()
                .filter_map(|k| k.as_str())
                .collect();
            Some(DevQuery {
                text: kws.join(" "),
                target: q["target"].as_str()?.to_string(),
            })
        })
        .collect())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// (p50, p99) of latencies in ms.
pub(crate) fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Imports rows into a fresh SQLite database in `dir` and builds the index; returns (store, index, seconds to index).
async fn build(
    dir: &Path,
    rows: Vec<qiao_tabular::Row>,
) -> anyhow::Result<(Store, Arc<SearchIndex>, f64, u64)> {
    let config = Config::new(dir.to_path_buf(), None);
    let store = config.open_store().await?;
    import_rows(
        &store,
        Kind::Capabilities,
        rows,
        &Actor::system("bench"),
        "bench",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let n = qiao_app::indexer::rebuild(&config.index_dir(), &store).await?;
    let secs = started.elapsed().as_secs_f64();
    let service = qiao_app::indexer::SearchService::open(&config.index_dir(), &store).await?;
    Ok((store, service.index(), secs, n))
}

/// Ranks of the target among the top 10 of each query, via the endpoint's code path.
fn evaluate(index: &SearchIndex, queries: &[DevQuery]) -> anyhow::Result<(f64, f64, Vec<f64>)> {
    let mut ranked = Vec::with_capacity(queries.len());
    let mut times = Vec::with_capacity(queries.len());
    for q in queries {
        let params = SearchParams {
            q: Some(q.text.clone()),
            limit: Some(10),
            ..Default::default()
        };
        let started = Instant::now();
        let query = to_query(&params, Audience::All).map_err(|e| anyhow::anyhow!("{e}"))?;
        let value = run_search(index, &query, true).map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let ids: Vec<String> = value["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["external_id"].as_str().map(str::to_string))
            .collect();
        ranked.push(ids);
    }
    let targets: Vec<String> = queries.iter().map(|q| q.target.clone()).collect();
    let (mrr, hits) = qiao_search::eval::mrr_and_hits(&ranked, &targets, 10);
    Ok((mrr, hits, times))
}

/// The FTS5 trigram reference on the same database: (docs/s, bytes, MRR, hit, latencies).
async fn fts5(
    store: &Store,
    queries: &[DevQuery],
    only_csl: bool,
) -> anyhow::Result<(f64, f64, Option<(f64, f64)>, Vec<f64>)> {
    let db = store.conn();
    let backend = db.get_database_backend();
    db.execute_unprepared("DROP TABLE IF EXISTS fts_ref")
        .await?;
    db.execute_unprepared("CREATE VIRTUAL TABLE fts_ref USING fts5(external_id UNINDEXED, title, body, tokenize = 'trigram')")
        .await
        .context("SQLite FTS5 with the trigram tokenizer")?;
    let started = Instant::now();
    db.execute_unprepared("INSERT INTO fts_ref (external_id, title, body) SELECT external_id, title, description FROM capabilities")
        .await?;
    let n: i64 = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM fts_ref",
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let mut ranked = Vec::new();
    let mut times = Vec::new();
    for q in queries {
        // Each keyword as a quoted phrase, any of them; trigram needs three characters.
        let terms: Vec<String> = q
            .text
            .split_whitespace()
            .filter(|t| t.chars().count() >= 3)
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect();
        let started = Instant::now();
        let ids: Vec<String> = if terms.is_empty() {
            Vec::new()
        } else {
            let sql = "SELECT external_id FROM fts_ref WHERE fts_ref MATCH ? ORDER BY bm25(fts_ref, 0.0, 3.0, 1.0) LIMIT 10";
            db.query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [terms.join(" OR ").into()],
            ))
            .await?
            .iter()
            .filter_map(|r| r.try_get::<String>("", "external_id").ok())
            .collect()
        };
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        ranked.push(ids);
    }
    let targets: Vec<String> = queries.iter().map(|q| q.target.clone()).collect();
    let relevance = only_csl.then(|| qiao_search::eval::mrr_and_hits(&ranked, &targets, 10));
    Ok((rate, n as f64, relevance, times))
}

pub async fn run(data: &Path, relevance_only: bool) -> anyhow::Result<()> {
    let queries = dev_queries(data)?;
    println!(
        "machine: {} cores; queries: {} CSL dev queries",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        queries.len()
    );

    // Relevance on the CSL papers (title + abstract only).
    let tmp = tempfile::tempdir()?;
    let (store, index, secs, n) = build(tmp.path(), csl_capability_rows(data, None)?).await?;
    let (mrr, hit, times) = evaluate(&index, &queries)?;
    let (p50, p99) = summary(times);
    println!(
        "relevance, {n} CSL papers: qiao MRR@10 {mrr:.4} hit@10 {hit:.4} (p50 {p50:.2} ms, p99 {p99:.2} ms; indexed in {secs:.1} s)"
    );
    let (_, _, rel, times) = fts5(&store, &queries, true).await?;
    let (mrr_f, hit_f) = rel.unwrap_or_default();
    let (p50, p99) = summary(times);
    println!(
        "relevance, same papers: SQLite FTS5 trigram MRR@10 {mrr_f:.4} hit@10 {hit_f:.4} (p50 {p50:.2} ms, p99 {p99:.2} ms)"
    );
    drop(index);
    drop(store);
    if relevance_only {
        return Ok(());
    }

    // Speed on all ~114k real documents.
    let tmp = tempfile::tempdir()?;
    let rows = all_capability_rows(data)?;
    let (store, index, secs, n) = build(tmp.path(), rows).await?;
    let size = dir_size(&tmp.path().join("index"));
    println!(
        "indexing: {n} documents in {secs:.1} s = {:.0} docs/s (from the database, incl. reading it); index {:.1} MiB",
        n as f64 / secs,
        size as f64 / 1048576.0
    );
    let (_, _, times) = evaluate(&index, &queries)?;
    let (p50, p99) = summary(times);
    println!("in-process query latency over {n} documents: p50 {p50:.3} ms, p99 {p99:.3} ms");
    let (rate, fts_n, _, times) = fts5(&store, &queries, false).await?;
    let (fp50, fp99) = summary(times);
    let fts_size: i64 = store
        .conn()
        .query_one_raw(Statement::from_string(
            store.conn().get_database_backend(),
            "SELECT SUM(pgsize) AS n FROM dbstat WHERE name LIKE 'fts_ref%'",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get("", "n").ok())
        .unwrap_or(0);
    println!(
        "SQLite FTS5 trigram on the same {fts_n} documents: {rate:.0} docs/s, {} query latency p50 {fp50:.3} ms, p99 {fp99:.3} ms",
        if fts_size > 0 {
            format!("{:.1} MiB,", fts_size as f64 / 1048576.0)
        } else {
            String::new()
        }
    );
    drop(index);
    drop(store);
    http_bench(tmp.path(), &queries).await
}

/// Starts `qiao serve` on the bench database and drives it with 16 keep-alive clients.
async fn http_bench(dir: &Path, queries: &[DevQuery]) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("QIAO_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited")?;
        if let Some(rest) = line.strip_prefix("Qiao is listening on http://") {
            break rest.trim_end_matches('/').to_string();
        }
    };
    let paths: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|q| format!("/api/v1/search?limit=10&q={}", percent_encode(&q.text)))
            .collect(),
    );
    let duration = Duration::from_secs(10);
    let clients = 16;
    let mut tasks = Vec::new();
    let started = Instant::now();
    for c in 0..clients {
        let paths = paths.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            client(&addr, &paths, c, duration).await
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    let (p50, p99) = summary(latencies.clone());
    let peak = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "HTTP: {} requests in {secs:.1} s with {clients} clients = {:.0} queries/s (p50 {p50:.2} ms, p99 {p99:.2} ms); server peak memory {peak}",
        latencies.len(),
        latencies.len() as f64 / secs
    );
    child.kill().await.ok();
    Ok(())
}

/// One keep-alive client: request after request until the time is up; returns latencies in ms.
async fn client(
    addr: &str,
    paths: &[String],
    offset: usize,
    duration: Duration,
) -> anyhow::Result<Vec<f64>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let mut out = Vec::new();
    let end = Instant::now() + duration;
    let mut i = offset * 97;
    while Instant::now() < end {
        let path = &paths[i % paths.len()];
        i += 1;
        let started = Instant::now();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        reader.get_mut().write_all(req.as_bytes()).await?;
        let mut length = 0usize;
        let mut status = String::new();
        reader.read_line(&mut status).await?;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        if !status.contains(" 200 ") {
            bail!("search answered {status}");
        }
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}
