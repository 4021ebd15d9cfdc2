//! The whole platform on a loopback port, started through `qiao-http`'s
//! public entry point, exactly as `qiao serve` starts it.

use crate::accounts::{PASSWORD, login_token};
use crate::client::get;
use qiao_app::{App, Config};
use qiao_core::vocab::Role;
use qiao_store::testkit::TestDb;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A running server. The application handle is kept only for the operator's
/// bootstrap of the first admin account; everything else goes over HTTP.
pub struct Server {
    pub addr: SocketAddr,
    app: App,
}

/// Starts the whole application for a test database on a loopback port.
pub async fn serve(db: &TestDb) -> Server {
    start(db, db.dir.clone()).await
}

/// Starts another server on the same database with a data directory (and
/// so a search index) of its own, built from the database as it opens — as
/// a restarted server, or a second one behind a load balancer, would be.
pub async fn serve_another(db: &TestDb, name: &str) -> Server {
    start(db, db.dir.join(name)).await
}

async fn start(db: &TestDb, data_dir: std::path::PathBuf) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = Config::new(data_dir, Some(db.url.clone()));
    let app = App::start(db.store.clone(), config)
        .await
        .expect("application");
    let served = app.clone();
    tokio::spawn(async move { qiao_http::serve(listener, served).await });
    Server { addr, app }
}

impl Server {
    /// The first admin account, as the operator creates it on the command
    /// line (`qiao user create`); returns an API token made over HTTP.
    pub async fn first_admin(&self, email: &str) -> String {
        self.app
            .create_operator_account(email, PASSWORD, Role::Admin, None)
            .await
            .expect("first admin account");
        login_token(self.addr, email, PASSWORD).await
    }
}

/// Waits until the server's index has caught up with everything written so far.
pub async fn settle(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = get(addr, "/metrics").await.body;
        let lag = m
            .lines()
            .find_map(|l| l.strip_prefix("qiao_index_lag "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        if lag == Some(0.0) {
            return;
        }
        let gauges: Vec<&str> = m
            .lines()
            .filter(|l| l.starts_with("qiao_index") || l.starts_with("qiao_outbox"))
            .collect();
        assert!(
            Instant::now() < deadline,
            "the index did not catch up: {gauges:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
