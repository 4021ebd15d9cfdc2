//! A real headless Chromium for tests of the pages as people see them,
//! driven over W3C WebDriver by Debian's `chromedriver`.
//!
//! The client is a few W3C commands over the `reqwest` the other tests use
//! already (no second HTTP stack). Chromium reports every Content Security
//! Policy violation to its console, which chromedriver hands over through its
//! log endpoint, so a test can fail on any of them; axe-core (vendored under
//! `tests/vendor/`) is run through WebDriver's script execution, which the
//! page's CSP does not govern.
//!
//! Browsers are taken one at a time within a test binary: the CI machine
//! has two cores, and each browser is a handful of Chromium processes.

use base64::Engine as _;
use serde_json::{Value, json};
use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The axe-core release vendored in `tests/vendor/axe-core/`.
pub const AXE_VERSION: &str = "4.14.1";

/// How long a wait may take before the test fails. Generous: the CI
/// machine is small and the server is a debug build.
pub const WAIT: Duration = Duration::from_secs(10);

const POLL: Duration = Duration::from_millis(50);
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser per test binary at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The screen a page is looked at on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// 1366×900, a common office laptop.
    Desktop,
    /// 390×844 at three device pixels per CSS pixel, touch, a mobile user agent.
    Phone,
}

impl Viewport {
    pub const BOTH: [Viewport; 2] = [Viewport::Desktop, Viewport::Phone];

    /// Width and height in CSS pixels.
    pub const fn size(self) -> (u32, u32) {
        match self {
            Viewport::Desktop => (1366, 900),
            Viewport::Phone => (390, 844),
        }
    }

    pub const fn scale(self) -> u32 {
        match self {
            Viewport::Desktop => 1,
            Viewport::Phone => 3,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone",
        }
    }
}

/// An error answer of the WebDriver server (or no answer at all).
#[derive(Debug, Clone)]
pub struct DriverError {
    pub status: u16,
    /// The W3C error code, e.g. `no such element`, `javascript error`.
    pub error: String,
    pub message: String,
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.message.lines().next().unwrap_or_default();
        write!(f, "{} ({}): {first}", self.error, self.status)
    }
}

/// An entry of the browser's console.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, …
    pub level: String,
    /// Where Chromium says it comes from: `security`, `console-api`, `network`, `javascript`, …
    pub source: String,
    pub message: String,
}

impl LogEntry {
    /// Chromium reports a blocked (or, for a report-only policy, reported)
    /// action under the `security` source, naming the Content Security Policy.
    pub fn is_csp_violation(&self) -> bool {
        self.source == "security" && self.message.contains("Content Security Policy")
    }
}

/// An axe-core rule a page breaks.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`, `label`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    pub help_url: String,
    /// CSS selectors of the offending elements.
    pub nodes: Vec<String>,
}

impl Violation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let impact = self.impact.as_deref().unwrap_or("unrated");
        write!(
            f,
            "[{impact}] {}: {} ({}) at {}",
            self.id,
            self.help,
            self.help_url,
            self.nodes.join(" | ")
        )
    }
}

/// A screenshot written under `<target dir>/screenshots/`.
#[derive(Debug, Clone)]
pub struct Screenshot {
    pub path: PathBuf,
    /// Size in device pixels.
    pub width: u32,
    pub height: u32,
}

/// An element of the current page, as WebDriver names it.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Element {
    fn from_value(v: &Value) -> Option<Self> {
        v.get(ELEMENT)
            .and_then(Value::as_str)
            .map(|id| Self(id.to_string()))
    }

    fn as_arg(&self) -> Value {
        json!({ ELEMENT: self.0 })
    }
}

/// The directory the screenshots go to: `screenshots/` in `CARGO_TARGET_DIR`
/// or else the workspace's `target/`.
pub fn screenshots_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds the tests crate");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    };
    target.join("screenshots")
}

/// Straight to stderr: the test harness captures `eprintln!` of passing tests.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// The chromedriver process; stopped (with any browser it still runs) when dropped.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver quits the browsers it still runs before it exits.
        blocking_request(self.port, "GET", "/shutdown");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(POLL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request without a runtime, for clean-up in `drop`.
fn blocking_request(port: u16, method: &str, path: &str) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // Read the whole answer (the command is done then), but not until the
    // connection closes: chromedriver may keep it open despite `Connection: close`.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            return;
        }
        answer.extend_from_slice(&chunk[..n]);
        let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if answer.len() >= end + 4 + length {
            return;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A headless Chromium with one WebDriver session.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    site: Option<String>,
    viewport: Viewport,
    desktop_agent: String,
    phone_agent: String,
    // Dropped in this order: the session's browser, the driver, the profile.
    driver: Driver,
    _profile: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        blocking_request(self.driver.port, "DELETE", &path);
    }
}

// Scripts run in the page. `shown` is what a person could see: an element
// with a box.
const SHOWN: &str = "const shown = e => !!e && e.getClientRects().length > 0;\n\
     const norm = s => (s || '').replace(/\\s+/g, ' ').trim().replace(/[\\s*＊:：]+$/, '');\n";

const FIND: &str = "const e = document.querySelector(arguments[0]); return shown(e) ? e : null;";

/// A form control by its label's text (exactly, or the label's text starts
/// with it), its `aria-label`, or a CSS selector; the first of the candidates found.
const FIELD: &str = "for (const raw of arguments[0]) {\n\
       const t = norm(raw);\n\
       const labels = [...document.querySelectorAll('label')].filter(l => shown(l.control));\n\
       const label = labels.find(l => norm(l.textContent) === t)\n\
         || labels.find(l => norm(l.textContent).startsWith(t + ' '));\n\
       if (label) return label.control;\n\
       const aria = [...document.querySelectorAll('[aria-label]')]\n\
         .find(e => shown(e) && norm(e.getAttribute('aria-label')) === t);\n\
       if (aria) return aria;\n\
       let e = null;\n\
       try { e = document.querySelector(raw); } catch (_) {}\n\
       if (shown(e)) return e;\n\
     }\n\
     return null;";

/// A CSS selector, or else a button or link by its text.
const CLICKABLE: &str = "const raw = arguments[0];\n\
     let e = null;\n\
     try { e = document.querySelector(raw); } catch (_) {}\n\
     if (shown(e)) return e;\n\
     const t = norm(raw);\n\
     return [...document.querySelectorAll('button, a[href], input[type=submit], input[type=button], [role=button], summary')]\n\
       .find(e => shown(e) && [e.innerText, e.value, e.getAttribute('aria-label')].some(s => norm(s) === t)) || null;";

/// An option of a select by its text.
const OPTION: &str = "const [select, text] = arguments;\n\
     return [...select.options].find(o => norm(o.textContent) === norm(text)) || null;";

/// The submit button of the form holding the password field.
const LOGIN_SUBMIT: &str = "const form = arguments[0].form;\n\
     if (!form) return null;\n\
     return [...form.querySelectorAll('button, input[type=submit]')]\n\
       .find(b => shown(b) && (b.type || 'submit') === 'submit') || null;";

const AXE_RUN: &str = "const done = arguments[arguments.length - 1];\n\
     window.axe.run(document, { resultTypes: ['violations'] })\n\
       .then(r => done(JSON.stringify(r.violations.map(v => ({\n\
         id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,\n\
         nodes: v.nodes.map(n => n.target.join(' ')) })))))\n\
       .catch(e => done('axe failed: ' + e));";

fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/axe-core/axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the vendored axe-core at {}: {e}", path.display()))
    })
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Width and height from a PNG's header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&png[16..20]), be(&png[20..24])))
}

impl Browser {
    /// Starts chromedriver (`QIAO_CHROMEDRIVER`, else `/usr/bin/chromedriver`)
    /// and a headless Chromium (`QIAO_CHROMIUM`, else `/usr/bin/chromium`)
    /// at desktop size. `None`, with the reason printed, when either is
    /// missing — a failure under `CI=true` — and in the PostgreSQL leg
    /// (`QIAO_TEST_POSTGRES_URL` set): the browser tests run once, on SQLite.
    pub async fn start() -> Option<Browser> {
        let thread = std::thread::current();
        // The harness names each test's thread after the test.
        let test = thread
            .name()
            .filter(|n| *n != "main")
            .unwrap_or("browser test");
        if std::env::var("QIAO_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
            say(&format!(
                "{test}: skipped in the PostgreSQL leg (QIAO_TEST_POSTGRES_URL is set): the browser tests run once, on SQLite"
            ));
            return None;
        }
        let from_env = |key: &str, default: &str| {
            std::env::var_os(key)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(default))
        };
        let driver = from_env("QIAO_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = from_env("QIAO_CHROMIUM", "/usr/bin/chromium");
        let missing: Vec<String> = [(&driver, "chromedriver"), (&chromium, "chromium")]
            .into_iter()
            .filter(|(path, _)| !path.is_file())
            .map(|(path, what)| format!("{what} is not at {}", path.display()))
            .collect();
        if !missing.is_empty() {
            let reason = format!(
                "{test}: skipped, {} (install Debian's chromium and chromium-driver, or set QIAO_CHROMEDRIVER and QIAO_CHROMIUM)",
                missing.join(" and ")
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{reason}; CI must run it"
            );
            say(&reason);
            return None;
        }
        Some(Self::launch(&driver, &chromium).await)
    }

    async fn launch(driver_path: &Path, chromium: &Path) -> Browser {
        let turn = ONE_AT_A_TIME.lock().await;
        let profile = tempfile::Builder::new()
            .prefix("qiao-chromium-")
            .tempdir()
            .expect("a temporary directory for the browser");
        let port = free_port();
        let log = profile.path().join("chromedriver.log");
        let child = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver_path.display()));
        let mut driver = Driver { child, port, log };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("HTTP client");

        // Ready when its status says so.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = http
                .get(format!("http://127.0.0.1:{port}/status"))
                .send()
                .await;
            if let Ok(r) = status
                && let Ok(v) = json_of(r).await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            if let Ok(Some(exit)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited ({exit}) before it was ready:\n{}",
                    driver.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not get ready on port {port}:\n{}",
                driver.log_tail()
            );
            tokio::time::sleep(POLL).await;
        }

        let user_data = profile.path().join("profile");
        let (width, height) = Viewport::Desktop.size();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", user_data.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let created = wire(
            &http,
            port,
            reqwest::Method::POST,
            "/session",
            Some(capabilities),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no browser session from chromedriver: {e}\n{}",
                driver.log_tail()
            )
        });
        let session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let major = created["capabilities"]["browserVersion"]
            .as_str()
            .and_then(|v| v.split('.').next())
            .unwrap_or("130")
            .to_string();
        let mut browser = Browser {
            http,
            session,
            site: None,
            viewport: Viewport::Desktop,
            desktop_agent: String::new(),
            phone_agent: format!(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Mobile Safari/537.36"
            ),
            driver,
            _profile: profile,
            _turn: turn,
        };
        browser
            .command(
                reqwest::Method::POST,
                "/timeouts",
                json!({"script": 60_000, "pageLoad": 60_000, "implicit": 0}),
            )
            .await;
        browser.desktop_agent = browser
            .execute("return navigator.userAgent", json!([]))
            .await
            .as_str()
            .expect("a user agent")
            .to_string();
        browser.set_viewport(Viewport::Desktop).await;
        browser
    }

    /// Where [`goto`](Self::goto) resolves paths: the server under test.
    pub fn set_site(&mut self, addr: SocketAddr) {
        self.site = Some(format!("http://{addr}"));
    }

    pub fn viewport(&self) -> Viewport {
        self.viewport
    }

    /// Emulates the screen: size, pixel ratio, touch and user agent. The
    /// size applies at once, the user agent from the next page load on.
    /// Cookies stay, so a signed-in session carries over.
    pub async fn set_viewport(&mut self, viewport: Viewport) {
        let (width, height) = viewport.size();
        let phone = viewport == Viewport::Phone;
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": viewport.scale(), "mobile": phone}),
        )
        .await;
        let agent = if phone {
            self.phone_agent.clone()
        } else {
            self.desktop_agent.clone()
        };
        self.cdp(
            "Emulation.setUserAgentOverride",
            json!({"userAgent": agent}),
        )
        .await;
        let touch = if phone {
            json!({"enabled": true, "maxTouchPoints": 5})
        } else {
            json!({"enabled": false})
        };
        self.cdp("Emulation.setTouchEmulationEnabled", touch).await;
        self.viewport = viewport;
    }

    /// Opens a path of the site (or a whole URL) and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = if path.contains("://") || path.starts_with("about:") {
            path.to_string()
        } else {
            let site = self.site.as_deref().expect("set_site before goto(path)");
            format!("{site}{path}")
        };
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    /// The current path and query.
    pub async fn current_path(&self) -> String {
        let v = self
            .execute("return location.pathname + location.search", json!([]))
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The text a person sees on the page.
    pub async fn page_text(&self) -> String {
        let v = self
            .execute(
                "return document.body ? document.body.innerText : ''",
                json!([]),
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// Whether a visible element matches the selector now (no waiting).
    pub async fn exists(&self, selector: &str) -> bool {
        let script = format!("{SHOWN}{FIND}");
        truthy(&self.execute(&script, json!([selector])).await)
    }

    /// Waits until a visible element matches the selector.
    pub async fn wait_for(&self, selector: &str) -> Element {
        let script = format!("{SHOWN}{FIND}");
        let found = self
            .poll(
                &format!("waiting for {selector}"),
                &script,
                json!([selector]),
            )
            .await;
        Element::from_value(&found).expect("an element")
    }

    /// Waits until a JavaScript expression holds, e.g.
    /// `location.pathname !== '/login'`; `what` names it for the failure message.
    pub async fn wait_until(&self, what: &str, expression: &str) {
        let script = format!("return ({expression}) || null;");
        self.poll(what, &script, json!([])).await;
    }

    /// Types into a form control found by its label (`邮箱`), `aria-label`
    /// or a CSS selector, replacing what it held.
    pub async fn fill(&self, target: &str, text: &str) {
        self.fill_any(&[target], text).await;
    }

    /// Like [`fill`](Self::fill) with the first of several ways to find the field.
    pub async fn fill_any(&self, targets: &[&str], text: &str) {
        let field = self.field(targets).await;
        let id = &field.0;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    /// Picks the option with this text in a select found like [`fill`](Self::fill)'s field.
    pub async fn choose(&self, target: &str, option: &str) {
        let select = self.field(&[target]).await;
        let script = format!("{SHOWN}{OPTION}");
        let found = self
            .poll(
                &format!("waiting for the option {option} of {target}"),
                &script,
                json!([select.as_arg(), option]),
            )
            .await;
        self.click_element(&Element::from_value(&found).expect("an option"))
            .await;
    }

    /// Clicks what a CSS selector names, or else a button or link with this text.
    pub async fn click(&self, target: &str) {
        let script = format!("{SHOWN}{CLICKABLE}");
        let found = self
            .poll(
                &format!("waiting for {target} to click"),
                &script,
                json!([target]),
            )
            .await;
        self.click_element(&Element::from_value(&found).expect("an element"))
            .await;
    }

    /// The visible text of the element, once it is there.
    pub async fn text_of(&self, selector: &str) -> String {
        let e = self.wait_for(selector).await;
        let v = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{}/text", e.0),
                Value::Null,
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// An attribute of the element, once it is there.
    pub async fn attribute(&self, selector: &str, name: &str) -> Option<String> {
        let e = self.wait_for(selector).await;
        let path = format!("/element/{}/attribute/{name}", e.0);
        let v = self.command(reqwest::Method::GET, &path, Value::Null).await;
        v.as_str().map(str::to_string)
    }

    /// Signs in through the form at `/login` (fields labelled 电子邮箱 or
    /// 邮箱 and 密码, or named `email` and `password`) and waits until the
    /// browser has left it.
    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill_any(&["电子邮箱", "邮箱", "input[name=email]"], email)
            .await;
        self.fill_any(&["密码", "input[name=password]"], password)
            .await;
        let password_field = self.field(&["密码", "input[name=password]"]).await;
        let script = format!("{SHOWN}{LOGIN_SUBMIT}");
        let submit = self
            .poll(
                "waiting for the login form's submit button",
                &script,
                json!([password_field.as_arg()]),
            )
            .await;
        self.click_element(&Element::from_value(&submit).expect("a button"))
            .await;
        self.wait_until(
            &format!("signing in as {email}"),
            "location.pathname !== '/login'",
        )
        .await;
    }

    /// Runs a script in the page (the body of a function; `arguments` are `args`).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.try_execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub async fn try_execute(&self, script: &str, args: Value) -> Result<Value, DriverError> {
        self.try_command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Runs an asynchronous script: it calls its last argument with the result.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.try_command(
            reqwest::Method::POST,
            "/execute/async",
            json!({"script": script, "args": args}),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Saves what the screen shows as
    /// `<target dir>/screenshots/<name>-<desktop|phone>.png`.
    pub async fn screenshot(&self, name: &str) -> Screenshot {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "a screenshot name of letters, digits, - and _: {name}"
        );
        let v = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("a base64 screenshot"))
            .expect("base64");
        let (width, height) = png_size(&png).expect("a PNG screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(format!("{name}-{}.png", self.viewport.name()));
        std::fs::write(&path, &png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Screenshot {
            path,
            width,
            height,
        }
    }

    /// The browser's console since the last call (reading empties it).
    pub async fn console(&self) -> Vec<LogEntry> {
        let v = self
            .command(reqwest::Method::POST, "/se/log", json!({"type": "browser"}))
            .await;
        let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
        v.as_array()
            .into_iter()
            .flatten()
            .map(|e| LogEntry {
                level: text(e, "level"),
                source: text(e, "source"),
                message: text(e, "message"),
            })
            .collect()
    }

    /// Content Security Policy violations reported since the console was
    /// last read (the other console entries are dropped).
    pub async fn csp_violations(&self) -> Vec<String> {
        self.console()
            .await
            .into_iter()
            .filter(LogEntry::is_csp_violation)
            .map(|e| e.message)
            .collect()
    }

    pub async fn assert_no_csp_violations(&self, page: &str) {
        let found = self.csp_violations().await;
        assert!(
            found.is_empty(),
            "{page}: Content Security Policy violations:\n{}",
            found.join("\n")
        );
    }

    /// Runs axe-core on the current page; its rules, with how much each matters.
    pub async fn axe(&self) -> Vec<Violation> {
        let loaded = self
            .execute("return typeof window.axe === 'object'", json!([]))
            .await;
        if loaded != json!(true) {
            // Run as a WebDriver script, not a <script> element: the page's
            // CSP allows no script from elsewhere, and none inline.
            let script = format!(
                "(function () {{ {} }}).call(window);\nreturn typeof window.axe === 'object';",
                axe_source()
            );
            let ok = self.execute(&script, json!([])).await;
            assert_eq!(ok, json!(true), "axe-core did not load");
        }
        let answer = self.execute_async(AXE_RUN, json!([])).await;
        let answer = answer.as_str().expect("axe's answer");
        let list: Value = serde_json::from_str(answer).unwrap_or_else(|_| panic!("{answer}"));
        let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        list.as_array()
            .into_iter()
            .flatten()
            .map(|v| Violation {
                id: text(v, "id"),
                impact: v["impact"].as_str().map(str::to_string),
                help: text(v, "help"),
                help_url: text(v, "helpUrl"),
                nodes: v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect(),
            })
            .collect()
    }

    /// Fails on any serious or critical axe-core violation of the current page.
    pub async fn assert_accessible(&self, page: &str) {
        let serious: Vec<String> = self
            .axe()
            .await
            .into_iter()
            .filter(Violation::is_serious)
            .map(|v| format!("- {v}"))
            .collect();
        assert!(
            serious.is_empty(),
            "{page}: serious or critical accessibility violations (axe-core {AXE_VERSION}):\n{}",
            serious.join("\n")
        );
    }

    /// What every main screen must pass, at desktop and phone width: it
    /// loads with a `<main>`, breaks no CSP rule, has no serious or critical
    /// accessibility violation, and is saved as `<name>-desktop.png` and
    /// `<name>-phone.png`. Leaves the browser at desktop width.
    pub async fn check_screen(&mut self, path: &str, name: &str) -> Vec<Screenshot> {
        let mut shots = Vec::new();
        for viewport in Viewport::BOTH {
            self.set_viewport(viewport).await;
            self.goto(path).await;
            self.wait_for("main").await;
            let page = format!("{path} ({})", viewport.name());
            let (width, _) = viewport.size();
            let laid_out = self.execute("return innerWidth", json!([])).await;
            assert_eq!(
                laid_out,
                json!(width),
                "{page}: laid out for another width than the screen's (no <meta name=\"viewport\">?)"
            );
            self.assert_no_csp_violations(&page).await;
            self.assert_accessible(&page).await;
            // axe ran inside the page: it must not have tripped the policy either.
            self.assert_no_csp_violations(&page).await;
            shots.push(self.screenshot(name).await);
        }
        self.set_viewport(Viewport::Desktop).await;
        shots
    }

    async fn field(&self, targets: &[&str]) -> Element {
        let script = format!("{SHOWN}{FIELD}");
        let found = self
            .poll(
                &format!("waiting for the field {}", targets.join(" or ")),
                &script,
                json!([targets]),
            )
            .await;
        Element::from_value(&found).expect("a field")
    }

    async fn click_element(&self, e: &Element) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            json!({}),
        )
        .await;
    }

    /// Runs a script until it returns something other than null or false.
    /// Errors (a page still loading) are retried; a bad selector is not.
    async fn poll(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let last_error = match self.try_execute(script, args.clone()).await {
                Ok(v) if truthy(&v) => return v,
                Ok(_) => None,
                Err(e) if e.message.contains("not a valid selector") => {
                    panic!("{what}: {e}")
                }
                Err(e) => Some(e),
            };
            if Instant::now() >= deadline {
                let at = self.current_path().await;
                let text = self.page_text().await;
                let excerpt: String = text.chars().take(600).collect();
                let error = last_error
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default();
                panic!("{what}: not within {WAIT:?} on {at}{error}; the page reads:\n{excerpt}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"))
    }

    async fn try_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value, DriverError> {
        let path = format!("/session/{}{path}", self.session);
        let body = (method != reqwest::Method::GET).then_some(body);
        wire(&self.http, self.driver.port, method, &path, body).await
    }
}

/// One WebDriver command: its `value`, or the error it answers with.
async fn wire(
    http: &reqwest::Client,
    port: u16,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, DriverError> {
    let transport = |e: reqwest::Error| DriverError {
        status: 0,
        error: "no answer".into(),
        message: e.to_string(),
    };
    let mut request = http.request(method, format!("http://127.0.0.1:{port}{path}"));
    if let Some(body) = body {
        let body = if body.is_null() { json!({}) } else { body };
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let answer = json_of(response).await.map_err(transport)?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if status == 200 {
        return Ok(value);
    }
    Err(DriverError {
        status,
        error: value["error"]
            .as_str()
            .unwrap_or("unknown error")
            .to_string(),
        message: value["message"].as_str().unwrap_or_default().to_string(),
    })
}

/// A JSON body (null if it is not JSON) without reqwest's `json` feature.
async fn json_of(response: reqwest::Response) -> Result<Value, reqwest::Error> {
    let bytes = response.bytes().await?;
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}
