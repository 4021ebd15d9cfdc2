//! The search index across process boundaries: a server killed with SIGKILL
//! during a bulk import loses nothing after restart; a second server on the
//! same PostgreSQL follows the shared outbox; `qiao reindex` swaps the index
//! under a running server.

use qiao_bench::{csl_capability_rows, percent_encode, shared_data_dir, shared_data_or_skip};
use qiao_store::testkit::{TestDb, each_backend};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn qiao(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qiao"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .env("QIAO_LOG", "warn");
    cmd
}

fn start(dir: &Path, url: &str) -> Server {
    let mut child = qiao(dir, url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("qiao serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server output").expect("utf-8");
        if let Some(rest) = line.strip_prefix("Qiao is listening on http://") {
            break rest.trim_end_matches('/').parse().unwrap();
        }
    };
    Server { child, addr }
}

/// `qiao import capabilities FILE`, which must succeed.
fn import_capabilities(dir: &Path, url: &str, file: &Path) {
    let out = qiao(dir, url)
        .args(["import", "capabilities"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn staff_token(dir: &Path, url: &str) -> String {
    let mut create = qiao(dir, url)
        .args([
            "user",
            "create",
            "--email",
            "staff@example.com",
            "--role",
            "staff",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"tide-lantern-42\n")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let out = qiao(dir, url)
        .args([
            "token",
            "create",
            "--email",
            "staff@example.com",
            "--name",
            "t",
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn total(addr: std::net::SocketAddr, token: &str, query: &str) -> i64 {
    let auth = format!("Bearer {token}");
    let r = qiao_tests_client::get(addr, &format!("/api/v1/search?{query}"), &auth).await;
    r["total"].as_i64().unwrap_or(-1)
}

async fn wait_for(addr: std::net::SocketAddr, token: &str, query: &str, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = total(addr, token, query).await;
        if n == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{query}: {n} hits, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn write_jsonl(dir: &Path, name: &str, skip: usize, take: usize) -> PathBuf {
    let rows = csl_capability_rows(&shared_data_dir(), Some(skip + take))
        .expect("../shared/data is needed");
    let text: String = rows[skip..]
        .iter()
        .map(|r| serde_json::to_string(&r.values).unwrap() + "\n")
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Minimal HTTP for these tests (the platform's own client lives in the tests crate).
mod qiao_tests_client {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub async fn get(addr: std::net::SocketAddr, path: &str, auth: &str) -> serde_json::Value {
        let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
            return serde_json::Value::Null;
        };
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        );
        if s.write_all(req.as_bytes()).await.is_err() {
            return serde_json::Value::Null;
        }
        let mut raw = String::new();
        let _ = s.read_to_string(&mut raw).await;
        raw.split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b).ok())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_killed_server_catches_up_after_restart() {
    if shared_data_or_skip(
        "a_killed_server_catches_up_after_restart",
        &["csl-papers.jsonl.gz"],
    )
    .is_none()
    {
        return;
    }
    each_backend(
        "search_process::a_killed_server_catches_up_after_restart",
        |db| async move {
            let token = staff_token(&db.dir, &db.url);
            let first = write_jsonl(&db.dir, "first.jsonl", 0, 3_000);
            let second = write_jsonl(&db.dir, "second.jsonl", 3_000, 3_000);
            let mut server = start(&db.dir, &db.url);
            import_capabilities(&db.dir, &db.url, &first);
            // Kill the server while it is indexing, and import more while it is down.
            std::thread::sleep(Duration::from_millis(150));
            server.child.kill().unwrap(); // SIGKILL
            server.child.wait().unwrap();
            import_capabilities(&db.dir, &db.url, &second);
            let server = start(&db.dir, &db.url);
            wait_for(server.addr, &token, "type=capability&limit=1", 6_000).await;
            let caps = db.store.export_capabilities().await.unwrap();
            assert_eq!(caps.len(), 6_000);
            // Spot-check that committed records are found by their text.
            for cap in caps.iter().step_by(1_000) {
                let q: String = cap.title.chars().take(12).collect();
                let query = format!("type=capability&limit=10&q={}", percent_encode(&q));
                let r = qiao_tests_client::get(
                    server.addr,
                    &format!("/api/v1/search?{query}"),
                    &format!("Bearer {token}"),
                )
                .await;
                let found = r["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["external_id"] == cap.external_id.clone().unwrap().as_str());
                assert!(
                    found,
                    "{} not found by {q}",
                    cap.external_id.clone().unwrap()
                );
            }
            db
        },
    )
    .await;
}

#[tokio::test]
async fn a_second_server_on_the_same_postgres_follows_the_outbox() {
    if shared_data_or_skip(
        "a_second_server_on_the_same_postgres_follows_the_outbox",
        &["csl-papers.jsonl.gz"],
    )
    .is_none()
    {
        return;
    }
    let Ok(url) = std::env::var("QIAO_TEST_POSTGRES_URL") else {
        eprintln!("QIAO_TEST_POSTGRES_URL is not set: the two-process test needs PostgreSQL");
        return;
    };
    let db = TestDb::postgres(&url).await.unwrap();
    let token = staff_token(&db.dir, &db.url);
    let other_dir = tempfile::tempdir().unwrap();
    let a = start(&db.dir, &db.url);
    let b = start(other_dir.path(), &db.url);
    let file = write_jsonl(&db.dir, "caps.jsonl", 0, 500);
    import_capabilities(&db.dir, &db.url, &file);
    wait_for(a.addr, &token, "type=capability&limit=1", 500).await;
    wait_for(b.addr, &token, "type=capability&limit=1", 500).await;
    if let Ok(log) = std::env::var("QIAO_TEST_PG_LOG") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        writeln!(
            f,
            "search_process::a_second_server_on_the_same_postgres_follows_the_outbox"
        )
        .unwrap();
    }
}

#[tokio::test]
async fn reindex_swaps_the_index_under_a_running_server() {
    if shared_data_or_skip(
        "reindex_swaps_the_index_under_a_running_server",
        &["csl-papers.jsonl.gz"],
    )
    .is_none()
    {
        return;
    }
    each_backend(
        "search_process::reindex_swaps_the_index_under_a_running_server",
        |db| async move {
            let token = staff_token(&db.dir, &db.url);
            let file = write_jsonl(&db.dir, "caps.jsonl", 0, 1_000);
            let server = start(&db.dir, &db.url);
            import_capabilities(&db.dir, &db.url, &file);
            wait_for(server.addr, &token, "type=capability&limit=1", 1_000).await;
            let out = qiao(&db.dir, &db.url).arg("reindex").output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("1000 documents"));
            let current = std::fs::read_to_string(db.dir.join("index/CURRENT")).unwrap();
            assert_eq!(current.trim(), "gen-2");
            // Searches keep answering, and later changes are still followed.
            wait_for(server.addr, &token, "type=capability&limit=1", 1_000).await;
            let more = write_jsonl(&db.dir, "more.jsonl", 1_000, 200);
            import_capabilities(&db.dir, &db.url, &more);
            wait_for(server.addr, &token, "type=capability&limit=1", 1_200).await;
            db
        },
    )
    .await;
}
