//! What a database holds, behind the small interface backups and
//! point-in-time recovery need: append writes, dump the contents as they were
//! at a moment, and rewind to a moment (losing every later write).
//!
//! Today the only storage is `Simulated`: timestamped text rows kept in the
//! world. A real PostgreSQL cluster (pg_dump, WAL replay) is meant to become
//! another variant of `Content`, with the same four operations, so that the
//! backup and PITR routes do not change.

use serde::{Deserialize, Serialize};

use crate::time::{Timestamp, format};

/// One write to a simulated database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub at: Timestamp,
    pub text: String,
}

/// The contents of one database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "storage", rename_all = "snake_case")]
pub enum Content {
    /// Rows kept oldest first, by their write time.
    Simulated { rows: Vec<Row> },
}

impl Default for Content {
    fn default() -> Self {
        Content::Simulated { rows: Vec::new() }
    }
}

impl Content {
    /// Records writes. Rows may carry a time in the past (to seed a history),
    /// so the list is kept sorted by time; the sort is stable, so writes made
    /// at the same instant keep their order.
    pub fn append(&mut self, new_rows: Vec<Row>) {
        match self {
            Content::Simulated { rows } => {
                rows.extend(new_rows);
                rows.sort_by_key(|r| r.at);
            }
        }
    }

    /// Every row currently in the database, oldest first.
    pub fn rows(&self) -> &[Row] {
        match self {
            Content::Simulated { rows } => rows,
        }
    }

    /// A text dump of the database as it was at `at`: a header naming the
    /// database, then one `time<TAB>text` line per row. The same contents
    /// always give the same bytes, so archive sizes are reproducible.
    pub fn dump(&self, resource_id: &str, type_name: &str, at: Timestamp) -> String {
        match self {
            Content::Simulated { rows } => {
                let kept: Vec<&Row> = rows.iter().filter(|r| r.at <= at).collect();
                let mut out = format!(
                    "-- rewind-sandbox simulated {type_name} dump\n\
                     -- database: {resource_id}\n\
                     -- taken at: {}\n\
                     -- rows: {}\n",
                    format(&at),
                    kept.len()
                );
                for row in kept {
                    // A row is one line in the dump: line breaks inside it
                    // are escaped so the format stays one row per line.
                    let text = row.text.replace('\\', "\\\\").replace('\n', "\\n");
                    out.push_str(&format!("{}\t{}\n", format(&row.at), text));
                }
                out
            }
        }
    }

    /// Point-in-time recovery: every write made after `t` is lost.
    pub fn rewind_to(&mut self, t: Timestamp) {
        match self {
            Content::Simulated { rows } => rows.retain(|r| r.at <= t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Content, Row};
    use chrono::{TimeZone, Utc};

    fn row(secs: i64, text: &str) -> Row {
        Row {
            at: Utc.timestamp_opt(1_784_000_000 + secs, 0).unwrap(),
            text: text.to_string(),
        }
    }

    #[test]
    fn dump_and_rewind_follow_time() {
        let mut content = Content::default();
        content.append(vec![row(10, "b"), row(0, "a\nmulti")]);
        content.append(vec![row(20, "c")]);
        let texts: Vec<&str> = content.rows().iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["a\nmulti", "b", "c"]);

        let dump = content.dump("db-1", "postgresql", row(15, "").at);
        assert!(dump.contains("-- rows: 2\n"), "{dump}");
        assert!(dump.contains("\ta\\nmulti\n"), "{dump}");
        assert!(dump.contains("\tb\n") && !dump.contains("\tc\n"), "{dump}");
        assert_eq!(dump, content.dump("db-1", "postgresql", row(15, "").at));

        content.rewind_to(row(10, "").at);
        assert_eq!(content.rows().len(), 2);
        assert_eq!(content.rows()[1].text, "b");
    }
}
