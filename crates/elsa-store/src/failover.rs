//! Several PostgreSQL hosts (`Host=pg-0,pg-1;Target Session Attributes=primary`): the pool's
//! new connections go to the first host that answers as asked — a primary, or a server that
//! accepts writes — and follow it across a failover. One watcher per pool keeps a connection
//! of its own to the host in use and asks it every [`PROBE_EVERY`] whether it still is what
//! the settings want; when it is not (down, or demoted), the hosts are tried in order and the
//! pool is pointed at the first that is. Pooled connections made before the switch are
//! dropped when next acquired, and every new connection is checked as it is made, so no write
//! goes to a standby. Writes meanwhile fail (`/health/ready` reports the outage) and succeed
//! again once a new primary answers: what was acknowledged before survives as far as
//! PostgreSQL's replication keeps it (synchronous replication keeps all of it).

use crate::pool::{pg_options, pg_pool};
use crate::settings::{PgSettings, TargetSession};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the host in use is asked whether it still is what the settings want.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a host may take to answer a probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A lazy pool on the host of `p` that matches its target session, following failovers.
/// Must be called inside the async runtime (it starts the watcher).
pub(crate) fn follow_hosts(p: &PgSettings) -> PgPool {
    let target = p.target_session;
    // When the pool was last pointed at another host: connections older than that go.
    let switched: Arc<Mutex<Option<Instant>>> = Arc::default();
    let since_switch = switched.clone();
    let pool = pg_pool(p)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                match is_target(conn, target).await? {
                    true => Ok(()),
                    false => Err(sqlx::Error::Protocol(format!(
                        "the server is not a {} one (Target Session Attributes); waiting for one that is",
                        target.name()
                    ))),
                }
            })
        })
        .before_acquire(move |_, meta| {
            let at = *since_switch.lock().expect("switch lock");
            let keep = at.is_none_or(|at| meta.age < at.elapsed());
            Box::pin(async move { Ok(keep) })
        })
        .connect_lazy_with(pg_options(p));
    tokio::spawn(watch(pool.clone(), p.clone(), switched));
    pool
}

/// Whether a connected server is what `target` asks for.
async fn is_target(conn: &mut PgConnection, target: TargetSession) -> Result<bool, sqlx::Error> {
    let sql = match target {
        TargetSession::Any => return Ok(true),
        TargetSession::Primary => "SELECT NOT pg_is_in_recovery()",
        TargetSession::ReadWrite => "SELECT current_setting('transaction_read_only') = 'off'",
    };
    sqlx::query_scalar(sql).fetch_one(conn).await
}

fn host_options(p: &PgSettings, (host, port): &(String, u16)) -> PgConnectOptions {
    pg_options(p).host(host).port(*port)
}

/// A connection to `host` if it answers as `p` asks, within [`PROBE_TIMEOUT`].
async fn probe(p: &PgSettings, host: &(String, u16)) -> Option<PgConnection> {
    let attempt = async {
        let mut conn = PgConnection::connect_with(&host_options(p, host))
            .await
            .ok()?;
        is_target(&mut conn, p.target_session)
            .await
            .ok()
            .filter(|ok| *ok)
            .map(|_| conn)
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .ok()
        .flatten()
}

async fn watch(pool: PgPool, p: PgSettings, switched: Arc<Mutex<Option<Instant>>>) {
    let hosts: Vec<(String, u16)> = std::iter::once((p.host.clone(), p.port))
        .chain(p.failover_hosts.iter().cloned())
        .collect();
    let mut current = 0;
    let mut watching: Option<PgConnection> = None;
    loop {
        if pool.is_closed() {
            return;
        }
        let still = match watching.as_mut() {
            Some(conn) => matches!(
                tokio::time::timeout(PROBE_TIMEOUT, is_target(conn, p.target_session)).await,
                Ok(Ok(true))
            ),
            None => false,
        };
        if !still {
            watching = None;
            // The host in use first: a blip of the watcher's connection is no failover.
            let order = std::iter::once(current).chain((0..hosts.len()).filter(|i| *i != current));
            for i in order {
                if let Some(conn) = probe(&p, &hosts[i]).await {
                    if i != current {
                        let (host, port) = &hosts[i];
                        tracing::warn!(
                            "PostgreSQL: {host}:{port} is the {} server now; new connections go there",
                            p.target_session.name()
                        );
                        pool.set_connect_options(host_options(&p, &hosts[i]));
                        *switched.lock().expect("switch lock") = Some(Instant::now());
                        current = i;
                    }
                    watching = Some(conn);
                    break;
                }
            }
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}
