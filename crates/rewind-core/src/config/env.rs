//! The Scalingo settings for one app: the region from the file, then
//! Scalingo's own environment variables on top (`SCALINGO_API_TOKEN`,
//! `SCALINGO_REGION`, `SCALINGO_API_URL`, `SCALINGO_AUTH_URL`,
//! `SCALINGO_DB_URL`), the same names the Scalingo CLI reads. The token
//! only ever comes from the environment: `rewind.toml` is committed.

use super::model::AppConfig;
use crate::platform::scalingo::ScalingoSettings;

impl AppConfig {
    /// Settings to reach this app's Scalingo API; `lookup` reads the
    /// environment (`|name| std::env::var(name).ok()` in real use). The
    /// environment's region wins over the file's.
    pub fn scalingo_settings(&self, lookup: impl Fn(&str) -> Option<String>) -> ScalingoSettings {
        ScalingoSettings::new(self.region.clone()).with_env(lookup)
    }
}
