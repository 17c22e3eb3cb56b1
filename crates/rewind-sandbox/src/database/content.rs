//! What a database holds, behind the small interface backups and
//! point-in-time recovery need: append writes, read them, dump the contents
//! as they were at a moment, and rewind to a moment (losing every later
//! write).
//!
//! Two storages: `Simulated`, timestamped text rows kept in the world; and
//! `Postgres`, a database in the sandbox's real PostgreSQL cluster (see
//! `real`), reached outside the world lock since every operation on it runs
//! programs. `Content::open` tells a handler which one it holds.

use serde::{Deserialize, Serialize};

use crate::database::backend::Backend;
use crate::database::engine::Engine;
use crate::database::real::RealDb;
use crate::state::Addon;
use crate::time::{Timestamp, format};

/// One write to a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub at: Timestamp,
    pub text: String,
}

/// The contents of one database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "storage", rename_all = "snake_case")]
pub enum Content {
    Simulated(Simulated),
    /// The database of that name in the real cluster. Its contents are not
    /// saved with the world: the cluster lives as long as the sandbox.
    Postgres {
        database: String,
    },
}

impl Default for Content {
    fn default() -> Self {
        Content::Simulated(Simulated::default())
    }
}

/// Where a handler finds the contents: in the world (use it under the
/// lock), or in PostgreSQL (use it after releasing the lock).
pub enum Store<'a> {
    Simulated(&'a mut Simulated),
    Real(RealDb),
}

impl Content {
    /// A new database's contents: a real database for a PostgreSQL addon
    /// when the sandbox runs a cluster, simulated otherwise.
    pub fn for_addon(addon: &Addon, backend: &Backend) -> Content {
        let engine = Engine::of_provider(&addon.provider);
        if engine.type_name() == "postgresql" && backend.is_real() {
            Content::Postgres {
                database: addon.resource_id.clone(),
            }
        } else {
            Content::default()
        }
    }

    pub fn open(&mut self, backend: &Backend) -> Store<'_> {
        match self {
            Content::Simulated(simulated) => Store::Simulated(simulated),
            Content::Postgres { database } => Store::Real(RealDb::new(backend, database)),
        }
    }
}

/// Rows kept oldest first, by their write time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Simulated {
    rows: Vec<Row>,
}

impl Simulated {
    /// Records writes. Rows may carry a time in the past (to seed a history),
    /// so the list is kept sorted by time; the sort is stable, so writes made
    /// at the same instant keep their order.
    pub fn append(&mut self, new_rows: Vec<Row>) {
        self.rows.extend(new_rows);
        self.rows.sort_by_key(|r| r.at);
    }

    /// Every row currently in the database, oldest first.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// A text dump of the database as it was at `at`: a header naming the
    /// database, then one `time<TAB>text` line per row. The same contents
    /// always give the same bytes, so archive sizes are reproducible.
    pub fn dump(&self, resource_id: &str, type_name: &str, at: Timestamp) -> Vec<u8> {
        let kept: Vec<&Row> = self.rows.iter().filter(|r| r.at <= at).collect();
        let mut out = format!(
            "-- rewind-sandbox simulated {type_name} dump\n\
             -- database: {resource_id}\n\
             -- taken at: {}\n\
             -- rows: {}\n",
            format(&at),
            kept.len()
        );
        for row in kept {
            // A row is one line in the dump: line breaks inside it are
            // escaped so the format stays one row per line.
            let text = row.text.replace('\\', "\\\\").replace('\n', "\\n");
            out.push_str(&format!("{}\t{}\n", format(&row.at), text));
        }
        out.into_bytes()
    }

    /// Point-in-time recovery: every write made after `t` is lost.
    pub fn rewind_to(&mut self, t: Timestamp) {
        self.rows.retain(|r| r.at <= t);
    }
}

#[cfg(test)]
mod tests {
    use super::{Row, Simulated};
    use chrono::{TimeZone, Utc};

    fn row(secs: i64, text: &str) -> Row {
        Row {
            at: Utc.timestamp_opt(1_784_000_000 + secs, 0).unwrap(),
            text: text.to_string(),
        }
    }

    #[test]
    fn dump_and_rewind_follow_time() {
        let mut content = Simulated::default();
        content.append(vec![row(10, "b"), row(0, "a\nmulti")]);
        content.append(vec![row(20, "c")]);
        let texts: Vec<&str> = content.rows().iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["a\nmulti", "b", "c"]);

        let dump = String::from_utf8(content.dump("db-1", "postgresql", row(15, "").at)).unwrap();
        assert!(dump.contains("-- rows: 2\n"), "{dump}");
        assert!(dump.contains("\ta\\nmulti\n"), "{dump}");
        assert!(dump.contains("\tb\n") && !dump.contains("\tc\n"), "{dump}");
        assert_eq!(
            dump.as_bytes(),
            content.dump("db-1", "postgresql", row(15, "").at)
        );

        content.rewind_to(row(10, "").at);
        assert_eq!(content.rows().len(), 2);
        assert_eq!(content.rows()[1].text, "b");
    }
}
