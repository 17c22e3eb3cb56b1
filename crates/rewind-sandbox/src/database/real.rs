//! The real variant of a database's contents: a database in the sandbox's
//! PostgreSQL cluster, with the same operations as the simulated one
//! (append, read, dump at a moment, rewind to a moment) done by PostgreSQL
//! itself. Every operation runs programs and may wait for a restore, so a
//! handler takes a `RealDb` out of the world, releases the lock, and calls
//! it through `blocking`.

use std::sync::Arc;

use crate::database::backend::Backend;
use crate::database::content::Row;
use crate::database::error::DbError;
use crate::pg::Cluster;
use crate::time::{Timestamp, now};

/// One database of the cluster.
#[derive(Debug, Clone)]
pub struct RealDb {
    backend: Backend,
    database: String,
}

impl RealDb {
    pub fn new(backend: &Backend, database: &str) -> RealDb {
        RealDb {
            backend: backend.clone(),
            database: database.to_string(),
        }
    }

    /// The cluster (started on first use), with this database created.
    fn cluster(&self) -> Result<Arc<Cluster>, String> {
        let cluster = self.backend.cluster()?;
        cluster.prepare(&self.database)?;
        Ok(cluster)
    }

    /// Writes rows; those without a time are written at the server's
    /// `now()`.
    pub fn append(&self, rows: &[(Option<Timestamp>, String)]) -> Result<(), String> {
        self.cluster()?.insert_rows(&self.database, rows)
    }

    /// Every row of the `rows` table, oldest first.
    pub fn rows(&self) -> Result<Vec<Row>, String> {
        let rows = self.cluster()?.rows(&self.database)?;
        Ok(rows
            .into_iter()
            .map(|r| Row {
                at: r.at,
                text: r.text,
            })
            .collect())
    }

    /// A `pg_dump --format=custom` archive: of the database now, or, for a
    /// moment in the past, with the `rows` written up to that moment.
    pub fn dump(&self, at: Timestamp) -> Result<Vec<u8>, String> {
        let cluster = self.cluster()?;
        if at >= now() - chrono::Duration::seconds(1) {
            cluster.dump(&self.database)
        } else {
            cluster.dump_as_of(&self.database, at)
        }
    }

    /// Point-in-time recovery of the whole cluster to `t`.
    pub fn rewind_to(&self, t: Timestamp) -> Result<(), String> {
        self.cluster()?.restore_to(t)
    }

    /// The earliest moment the cluster can be recovered to.
    pub fn earliest_recoverable(&self) -> Result<Timestamp, String> {
        Ok(self.cluster()?.earliest_recoverable())
    }

    /// The connection URL, with the database ready to use.
    pub fn url(&self) -> Result<String, String> {
        Ok(self.cluster()?.url(&self.database))
    }

    /// The server's port on 127.0.0.1, once the cluster runs.
    pub fn port(&self) -> Option<u16> {
        Some(self.backend.started()?.port())
    }
}

/// Runs a PostgreSQL operation off the async runtime; its failure is the
/// server's (500), with PostgreSQL's own message.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, DbError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DbError::Server(format!("the PostgreSQL task stopped: {e}")))?
        .map_err(DbError::Server)
}
