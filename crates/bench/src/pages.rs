//! `qiao bench pages`: server render time of the main pages on the demo
//! data, against the target of a p50 of at most 5 ms per page.
//!
//! A fresh data directory gets the demo exactly as `qiao demo` prepares it
//! (the seeds, one account per role, the staged event history); `qiao
//! serve` is then started on it at a loopback port (the benchmarks measure
//! the web layer from outside: this crate does not depend on it) and
//! driven over one keep-alive connection, so a figure is the time from
//! writing the request to reading the last byte of the page — the render
//! plus a loopback round trip. The demo staff and enterprise users sign in
//! through `POST /api/v1/auth/login` and their pages carry the session
//! cookie.
//!
//! Each page is fetched `warm_up` times unmeasured, then `runs` times;
//! printed per page: the viewer, p50, p95 and max in ms, the page's size,
//! and whether the p50 keeps the target. The machine (logical CPUs, CPU
//! model) comes first; last, the use cases behind the staff pages timed
//! alone in-process (before the server starts), to tell where their time
//! goes.

use anyhow::{Context, bail};
use chrono::Datelike as _;
use qiao_app::demo::{DEMO_PASSWORD, Prepared};
use qiao_app::{App, Config};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The target for a page's p50, in ms.
pub const TARGET_MS: f64 = 5.0;

const STAFF: &str = "staff@demo.qiao.cn";
const ENTERPRISE: &str = "enterprise@demo.qiao.cn";

/// Who asks for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Visitor,
    Enterprise,
    Staff,
}

impl Viewer {
    fn name(self) -> &'static str {
        match self {
            Viewer::Visitor => "visitor",
            Viewer::Enterprise => "enterprise",
            Viewer::Staff => "staff",
        }
    }
}

/// One page's figures.
#[derive(Debug, Clone)]
pub struct Timing {
    pub path: String,
    pub viewer: Viewer,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub bytes: usize,
}

impl Timing {
    pub fn meets_target(&self) -> bool {
        self.p50_ms <= TARGET_MS
    }
}

/// The CPU model as `/proc/cpuinfo` names it (Linux), else "unknown CPU".
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// Logical CPUs available to this process.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Nearest rank.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// An answer as read off the connection.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One keep-alive HTTP/1.1 connection to the server.
struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
            host: addr.to_string(),
        })
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Answer> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(request.as_bytes()).await?;
        stream.write_all(body).await?;
        self.read_answer().await
    }

    async fn read_answer(&mut self) -> anyhow::Result<Answer> {
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if answer
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            loop {
                line.clear();
                self.reader.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)
                    .with_context(|| format!("a chunk size: {line:?}"))?;
                let mut chunk = vec![0u8; size + 2];
                self.reader.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                answer.body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let length = answer
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            answer.body = vec![0u8; length];
            self.reader.read_exact(&mut answer.body).await?;
        }
        Ok(answer)
    }
}

/// `qiao serve` on the demo data, with the sessions of its users.
struct DemoServer {
    conn: Connection,
    enterprise: String,
    staff: String,
    need: i64,
    capability: i64,
    event: i64,
    _child: tokio::process::Child,
}

impl DemoServer {
    /// Starts `qiao serve` (this executable) on `config`'s data directory,
    /// waits for its index and signs the users in.
    async fn start(config: &Config) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&config.data_dir)
            .env("DATABASE_URL", &config.database_url)
            .env("QIAO_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
        let addr = loop {
            let line = lines.next_line().await?.context("the server exited")?;
            if let Some(rest) = line.strip_prefix("Qiao is listening on http://") {
                break rest.trim_end_matches('/').to_string();
            }
        };
        let mut server = DemoServer {
            conn: Connection::open(&addr).await?,
            enterprise: String::new(),
            staff: String::new(),
            need: 0,
            capability: 0,
            event: 0,
            _child: child,
        };
        server.settle().await?;
        server.enterprise = server.sign_in(ENTERPRISE).await?;
        server.staff = server.sign_in(STAFF).await?;
        server.need = server.first_id("/api/v1/needs?limit=1").await?;
        server.capability = server.first_id("/api/v1/capabilities?limit=1").await?;
        server.event = server.held_event().await?;
        Ok(server)
    }

    fn cookie(&self, viewer: Viewer) -> Option<&str> {
        match viewer {
            Viewer::Visitor => None,
            Viewer::Enterprise => Some(&self.enterprise),
            Viewer::Staff => Some(&self.staff),
        }
    }

    async fn get(&mut self, path: &str, cookie: Option<&str>) -> anyhow::Result<Answer> {
        let cookie = cookie.map(str::to_string);
        let mut headers = vec![("Accept", "text/html")];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c));
        }
        self.conn.send("GET", path, &headers, b"").await
    }

    async fn json(&mut self, path: &str, cookie: Option<&str>) -> anyhow::Result<Value> {
        let cookie = cookie.map(str::to_string);
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        let answer = self.conn.send("GET", path, &headers, b"").await?;
        if answer.status != 200 {
            bail!("{path} answered {}", answer.status);
        }
        Ok(serde_json::from_slice(&answer.body)?)
    }

    /// Waits until the server's search index has caught up with the demo data.
    async fn settle(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self.conn.send("GET", "/metrics", &[], b"").await?;
            let text = String::from_utf8_lossy(&answer.body);
            let lag = text
                .lines()
                .find_map(|l| l.strip_prefix("qiao_index_lag "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if lag == Some(0.0) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the search index did not catch up with the demo data");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in with the demo password; the session cookie (`name=value`).
    async fn sign_in(&mut self, email: &str) -> anyhow::Result<String> {
        let body = json!({"email": email, "password": DEMO_PASSWORD}).to_string();
        let headers = [("Content-Type", "application/json")];
        let answer = self
            .conn
            .send("POST", "/api/v1/auth/login", &headers, body.as_bytes())
            .await?;
        if answer.status != 200 {
            bail!("signing in {email}: {}", answer.status);
        }
        let cookie = answer
            .header("set-cookie")
            .and_then(|v| v.split(';').next())
            .context("a session cookie")?;
        Ok(cookie.to_string())
    }

    async fn first_id(&mut self, path: &str) -> anyhow::Result<i64> {
        let page = self.json(path, None).await?;
        page["items"][0]["id"]
            .as_i64()
            .with_context(|| format!("no record in {path}"))
    }

    /// The demo's held event (the one with meetings and outcomes), else the first.
    async fn held_event(&mut self) -> anyhow::Result<i64> {
        let staff = self.staff.clone();
        let page = self.json("/api/v1/events?limit=100", Some(&staff)).await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .find(|e| e["external_id"] == "evt-2026-02")
            .or(items.first())
            .and_then(|e| e["id"].as_i64())
            .context("no event in the demo data")
    }

    /// The main pages with who looks at them: the public ones as a visitor
    /// and as the enterprise user, `/login` as a visitor, `/me` as the
    /// enterprise user, the staff pages as staff.
    fn main_pages(&self) -> Vec<(String, Viewer)> {
        let public = [
            "/".to_string(),
            format!("/search?q={}&type=need", crate::percent_encode("海洋")),
            format!("/needs/{}", self.need),
            format!("/capabilities/{}", self.capability),
            "/events".to_string(),
            format!("/events/{}", self.event),
            "/projects/key".to_string(),
        ];
        let mut pages: Vec<(String, Viewer)> = Vec::new();
        for viewer in [Viewer::Visitor, Viewer::Enterprise] {
            pages.extend(public.iter().map(|p| (p.clone(), viewer)));
        }
        // Signed-in users are sent on from the sign-in page.
        pages.push(("/login".to_string(), Viewer::Visitor));
        pages.push(("/me".to_string(), Viewer::Enterprise));
        pages.push(("/staff".to_string(), Viewer::Staff));
        pages.push(("/staff/dashboard".to_string(), Viewer::Staff));
        pages
    }

    /// `runs` fetches of a page after `warm_up` unmeasured ones; each must answer 200.
    async fn time(
        &mut self,
        path: &str,
        viewer: Viewer,
        warm_up: usize,
        runs: usize,
    ) -> anyhow::Result<Timing> {
        let cookie = self.cookie(viewer).map(str::to_string);
        let mut ms = Vec::with_capacity(runs);
        let mut bytes = 0;
        for i in 0..warm_up + runs.max(1) {
            let started = Instant::now();
            let answer = self.get(path, cookie.as_deref()).await?;
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            if answer.status != 200 {
                bail!(
                    "{path} as {} answered {}: {}",
                    viewer.name(),
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                );
            }
            if i >= warm_up {
                ms.push(elapsed);
            }
            bytes = answer.body.len();
        }
        ms.sort_by(f64::total_cmp);
        Ok(Timing {
            path: path.to_string(),
            viewer,
            p50_ms: percentile(&ms, 0.5),
            p95_ms: percentile(&ms, 0.95),
            max_ms: ms[ms.len() - 1],
            bytes,
        })
    }
}

/// p50 in ms of `runs` calls after 3 unmeasured ones.
async fn p50_of<T, F, Fut>(runs: usize, mut f: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = qiao_app::Result<T>>,
{
    for _ in 0..3 {
        f().await?;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        f().await?;
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(percentile(&ms, 0.5))
}

/// The use cases behind the staff pages, timed alone (p50 in ms), as the
/// handlers call them: `/staff` lists the organizations awaiting review,
/// the suggestion queue and the 50 newest published needs (for its form
/// that computes suggestions), `/staff/dashboard` computes the plan
/// dashboard of this year.
async fn staff_breakdown(
    app: &App,
    store: &qiao_store::Store,
    runs: usize,
) -> anyhow::Result<Vec<(&'static str, f64)>> {
    use qiao_core::stored::ListQuery;
    use qiao_core::vocab::{ReviewStatus, Vocabulary};
    let user = store
        .user_by_email(STAFF)
        .await?
        .context("the demo staff account")?;
    let who = qiao_app::Principal {
        id: user.id,
        email: user.email,
        role: qiao_core::vocab::Role::Staff,
        org_id: None,
        org_admin: false,
        method: qiao_app::AuthMethod::Token,
    };
    let viewer = qiao_app::Viewer(Some(who.clone()));
    let pending = ListQuery {
        status: Some(ReviewStatus::Pending.code().to_string()),
        sort: Some("created_at".into()),
        limit: 50,
        ..ListQuery::default()
    };
    let recent = ListQuery {
        status: Some("published".into()),
        sort: Some("-updated_at".into()),
        limit: 50,
        ..ListQuery::default()
    };
    let year = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .year();
    let orgs = p50_of(runs, || app.organizations(&viewer, &pending)).await?;
    let queue = p50_of(runs, || app.suggestion_queue(&who, 50)).await?;
    let needs = p50_of(runs, || {
        qiao_app::listings::list::<qiao_core::record::NeedRecord>(app, &viewer, &recent)
    })
    .await?;
    let dashboard = p50_of(runs, || app.plan_dashboard(&who, year)).await?;
    Ok(vec![
        ("/staff: App::organizations (pending review)", orgs),
        ("/staff: App::suggestion_queue(50)", queue),
        ("/staff: listings::list::<NeedRecord> (50 newest)", needs),
        ("/staff/dashboard: App::plan_dashboard", dashboard),
    ])
}

/// Loads the demo into `config`'s (empty) data directory, serves it with
/// `qiao serve` and prints each main page's time; `false` when a page
/// misses the target.
pub async fn run(config: Config, runs: usize, warm_up: usize) -> anyhow::Result<bool> {
    println!(
        "machine: {} logical CPUs, {}; {} build",
        cpus(),
        cpu_model(),
        if cfg!(debug_assertions) {
            "debug (figures are not representative)"
        } else {
            "release"
        }
    );
    let started = Instant::now();
    let (store, prepared) = qiao_app::demo::prepare(&config, false).await?;
    if !matches!(prepared, Prepared::Loaded { .. }) {
        bail!(
            "qiao bench pages needs an empty data directory; {} already holds data",
            config.data_dir.display()
        );
    }
    let app = App::without_follower(store.clone(), config.clone()).await?;
    app.stage_demo_events()
        .await
        .context("staging the demo events")?;
    let breakdown = staff_breakdown(&app, &store, runs).await?;
    // The server opens the data directory itself.
    drop(app);
    drop(store);
    let mut server = DemoServer::start(&config).await?;
    println!(
        "demo data loaded, served and indexed in {:.1} s; {runs} fetches per page after {warm_up} warm-ups over one keep-alive loopback connection",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<34} {:<10} {:>8} {:>8} {:>8} {:>8}  p50 ≤ {TARGET_MS} ms",
        "page", "viewer", "p50 ms", "p95 ms", "max ms", "bytes"
    );
    let mut all_met = true;
    for (path, viewer) in server.main_pages() {
        let t = server.time(&path, viewer, warm_up, runs).await?;
        all_met &= t.meets_target();
        // The search's query as typed, not percent-encoded (two columns per Han character).
        let shown = t.path.replace(&crate::percent_encode("海洋"), "海洋");
        let wide = shown.chars().filter(|c| !c.is_ascii()).count();
        println!(
            "{:<width$} {:<10} {:>8.2} {:>8.2} {:>8.2} {:>8}  {}",
            shown,
            viewer.name(),
            t.p50_ms,
            t.p95_ms,
            t.max_ms,
            t.bytes,
            if t.meets_target() { "yes" } else { "NO" },
            width = 34usize.saturating_sub(wide),
        );
    }
    println!("the staff pages' use cases alone, in-process (p50 of {runs} calls):");
    for (what, ms) in breakdown {
        println!("  {what:<48} {ms:>8.2} ms");
    }
    println!(
        "{}",
        if all_met {
            "every page keeps the target"
        } else {
            "some page misses the target"
        }
    );
    Ok(all_met)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let ms: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&ms, 0.5), 100.0);
        assert_eq!(percentile(&ms, 0.95), 190.0);
        assert_eq!(percentile(&[3.0], 0.5), 3.0);
    }
}
