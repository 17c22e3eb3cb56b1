//! The databases inside the cluster, as the sandbox uses them: create one
//! per PostgreSQL addon, write and read the sandbox's own `rows(text, at)`
//! table (what tests and rehearsals write without a SQL client), dump a
//! database with `pg_dump --format=custom`, and give its connection URL.
//!
//! SQL goes to `psql` on its standard input; values are quoted here, so no
//! text a client sends can end a literal.

use serde::Deserialize;

use crate::pg::cluster::{Cluster, Life, USER};
use crate::pg::run::Runner;
use crate::time::{Timestamp, new_id};

/// The table of "production rows" the sandbox owns in every database.
const ROWS_TABLE: &str = "create table if not exists rows (\n\
     id bigserial primary key,\n\
     text text not null,\n\
     at timestamptz not null default now()\n\
     );";

/// A row of the `rows` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgRow {
    pub at: Timestamp,
    pub text: String,
}

impl Cluster {
    /// `postgres://rewind:PASSWORD@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{database}",
            self.password,
            self.port()
        )
    }

    /// Makes sure `database` exists, with its `rows` table.
    pub fn prepare(&self, database: &str) -> Result<(), String> {
        let mut life = self.running()?;
        self.ensure_database(&mut life, database)
    }

    /// Writes rows; a row without a time is written at the transaction's
    /// time (the server's `now()`), so that it sits where PostgreSQL's own
    /// commit times put it on the recovery timeline.
    pub fn insert_rows(
        &self,
        database: &str,
        rows: &[(Option<Timestamp>, String)],
    ) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let values = rows
            .iter()
            .map(|(at, text)| {
                let at = match at {
                    Some(t) => format!("{}::timestamptz", literal(&t.to_rfc3339())?),
                    None => "now()".to_string(),
                };
                Ok(format!("({}, {at})", literal(text)?))
            })
            .collect::<Result<Vec<_>, String>>()?
            .join(",\n");
        let mut life = self.running()?;
        self.ensure_database(&mut life, database)?;
        self.query(
            &life,
            database,
            &format!("insert into rows (text, at) values\n{values};"),
        )?;
        Ok(())
    }

    /// Every row, oldest first (writes of the same moment in their order).
    pub fn rows(&self, database: &str) -> Result<Vec<PgRow>, String> {
        #[derive(Deserialize)]
        struct Raw {
            micros: i64,
            text: String,
        }
        let mut life = self.running()?;
        self.ensure_database(&mut life, database)?;
        let json = self.query(
            &life,
            database,
            "select coalesce(json_agg(json_build_object(\
             'micros', (extract(epoch from at) * 1000000)::bigint, 'text', text) \
             order by at, id), '[]'::json) from rows;",
        )?;
        let raw: Vec<Raw> = serde_json::from_str(json.trim())
            .map_err(|e| format!("cannot read the rows PostgreSQL returned: {e}"))?;
        raw.into_iter()
            .map(|r| {
                let at = chrono::DateTime::from_timestamp_micros(r.micros)
                    .ok_or_else(|| format!("row time out of range: {} µs", r.micros))?;
                Ok(PgRow { at, text: r.text })
            })
            .collect()
    }

    /// `pg_dump --format=custom` of `database`, as it is now.
    pub fn dump(&self, database: &str) -> Result<Vec<u8>, String> {
        let mut life = self.running()?;
        self.ensure_database(&mut life, database)?;
        self.pg_dump(database)
    }

    /// A dump of `database` where the `rows` table holds only the rows
    /// written up to `at` (other tables as they are now): a scratch copy of
    /// the database is trimmed, dumped, and dropped. Used for backups
    /// seeded in the past, which no real server could have taken.
    pub fn dump_as_of(&self, database: &str, at: Timestamp) -> Result<Vec<u8>, String> {
        let mut life = self.running()?;
        self.ensure_database(&mut life, database)?;
        let scratch = format!("rewind_scratch_{}", &new_id()[..12]);
        self.query(
            &life,
            "postgres",
            &format!(
                "create database {} template {};",
                identifier(&scratch),
                identifier(database)
            ),
        )
        .map_err(|e| {
            format!("{e}\n(a past backup copies the database: close other connections to it first)")
        })?;
        let dumped = self
            .query(
                &life,
                &scratch,
                &format!(
                    "delete from rows where at > {}::timestamptz;",
                    literal(&at.to_rfc3339())?
                ),
            )
            .and_then(|_| self.pg_dump(&scratch));
        let dropped = self.query(
            &life,
            "postgres",
            &format!("drop database {};", identifier(&scratch)),
        );
        let dump = dumped?;
        dropped?;
        Ok(dump)
    }

    /// The lock, once the server is known to be up.
    fn running(&self) -> Result<std::sync::MutexGuard<'_, Life>, String> {
        let life = self.lock();
        if life.running {
            Ok(life)
        } else {
            Err("the PostgreSQL server is not running".to_string())
        }
    }

    pub(super) fn ensure_database(&self, life: &mut Life, database: &str) -> Result<(), String> {
        if life.databases.contains(database) {
            return Ok(());
        }
        let exists = self.query(
            life,
            "postgres",
            &format!(
                "select count(*) from pg_database where datname = {};",
                literal(database)?
            ),
        )?;
        if exists.trim() == "0" {
            self.query(
                life,
                "postgres",
                &format!("create database {};", identifier(database)),
            )?;
        }
        self.query(life, database, ROWS_TABLE)?;
        life.databases.insert(database.to_string());
        Ok(())
    }

    /// Runs SQL with psql; the answer is unaligned, without headers.
    pub(super) fn query(&self, life: &Life, database: &str, sql: &str) -> Result<String, String> {
        self.query_as(&self.runner, life, database, sql)
    }

    /// As `query`, with another runner (another password).
    pub(super) fn query_as(
        &self,
        runner: &Runner,
        _life: &Life,
        database: &str,
        sql: &str,
    ) -> Result<String, String> {
        let mut psql = runner.command(&self.bins.psql);
        psql.args(["--no-psqlrc", "--quiet", "--no-align", "--tuples-only"])
            .args(["--set", "ON_ERROR_STOP=1", "--no-password"])
            .args(["--host", "127.0.0.1", "--port", &self.port().to_string()])
            .args(["--username", USER, "--dbname", database, "--file", "-"]);
        let out =
            runner.run_with_input(psql, sql.as_bytes(), "run SQL on the sandbox's PostgreSQL")?;
        String::from_utf8(out).map_err(|e| format!("psql answered text that is not UTF-8: {e}"))
    }

    fn pg_dump(&self, database: &str) -> Result<Vec<u8>, String> {
        let mut pg_dump = self.runner.command(&self.bins.pg_dump);
        pg_dump
            .args(["--format", "custom", "--no-password"])
            .args(["--host", "127.0.0.1", "--port", &self.port().to_string()])
            .args(["--username", USER, "--dbname", database]);
        self.runner
            .run(pg_dump, &format!("dump the database {database} (pg_dump)"))
    }
}

/// A SQL string literal. NUL cannot be stored in PostgreSQL text at all.
pub(super) fn literal(text: &str) -> Result<String, String> {
    if text.contains('\0') {
        return Err("PostgreSQL text cannot hold a NUL character".to_string());
    }
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// A quoted SQL identifier.
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::{identifier, literal};

    #[test]
    fn quotes_cannot_be_escaped() {
        assert_eq!(literal("it's").unwrap(), "'it''s'");
        assert_eq!(literal("a\\'; drop").unwrap(), "'a\\''; drop'");
        assert!(literal("nul\0").is_err());
        assert_eq!(identifier("shop-1a2b"), "\"shop-1a2b\"");
        assert_eq!(identifier("x\"y"), "\"x\"\"y\"");
    }
}
