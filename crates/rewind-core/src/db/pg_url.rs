//! A PostgreSQL connection URL split so that its password never reaches a
//! process argument list, an error or the journal: `pg_restore` gets the
//! URL without it, and the password goes through `PGPASSWORD` in the
//! child's environment.

use percent_encoding::percent_decode_str;

use crate::secret::Secret;

use super::DbError;

#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    /// The URL without its password: safe for argv.
    pub without_password: String,
    pub password: Option<Secret>,
    /// `host:port/dbname` for messages.
    pub shown: String,
}

impl DatabaseUrl {
    /// Parses `postgres://` or `postgresql://` URLs.
    pub fn parse(url: &Secret) -> Result<DatabaseUrl, DbError> {
        let bad = |detail: &str| DbError::BadDatabaseUrl {
            detail: detail.to_string(),
        };
        // url's own errors never quote the input, so they are safe to show.
        let mut parsed =
            url::Url::parse(url.expose().trim()).map_err(|e| bad(&format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(bad(&format!(
                "it starts with {}:// where postgres:// or postgresql:// is expected",
                parsed.scheme()
            )));
        }
        let host = parsed.host_str().unwrap_or_default().to_string();
        let database = parsed.path().trim_start_matches('/').to_string();
        if database.is_empty() {
            return Err(bad(
                "it names no database (postgres://user@host:port/DBNAME)",
            ));
        }
        // A password in the query string would reach argv: refuse it.
        if parsed
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("password"))
        {
            return Err(bad(
                "put the password in the user part (postgres://user:PASSWORD@host/db), not in ?password=",
            ));
        }
        let password = parsed
            .password()
            .map(|p| percent_decode_str(p).decode_utf8_lossy().into_owned())
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        parsed
            .set_password(None)
            .map_err(|()| bad("it cannot hold a user and password"))?;
        let shown = match parsed.port() {
            Some(port) => format!("{host}:{port}/{database}"),
            None => format!("{host}/{database}"),
        };
        Ok(DatabaseUrl {
            without_password: parsed.to_string(),
            password,
            shown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_taken_out_and_decoded() {
        let url = DatabaseUrl::parse(&Secret::new(
            "postgres://shop:p%40ss%3Aword@127.0.0.1:10000/shop_prod?sslmode=prefer",
        ))
        .expect("valid");
        assert_eq!(
            url.without_password,
            "postgres://shop@127.0.0.1:10000/shop_prod?sslmode=prefer"
        );
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("p@ss:word"));
        assert_eq!(url.shown, "127.0.0.1:10000/shop_prod");
    }

    #[test]
    fn errors_never_quote_the_url() {
        for bad in [
            "mysql://u:hunter2@h/db",
            "postgres://u:hunter2@h",
            "postgres://u@h/db?password=hunter2",
            "hunter2",
        ] {
            let e = DatabaseUrl::parse(&Secret::new(bad)).expect_err(bad);
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }
}
