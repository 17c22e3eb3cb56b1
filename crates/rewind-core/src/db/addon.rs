//! Which addon is the app's database: the one `rewind.toml` names (an addon
//! id, or a provider such as `scalingo-postgresql` when the app has one
//! addon of it), else the app's only database addon.

use crate::platform::{Addon, Platform};

use super::DbError;

/// Providers that hold a database.
const DATABASE_PROVIDERS: [&str; 7] = [
    "postgresql",
    "mysql",
    "mongodb",
    "redis",
    "elasticsearch",
    "influxdb",
    "opensearch",
];

/// The app's database addon.
pub fn database_addon(
    platform: &dyn crate::platform::Platform,
    app: &str,
    wanted: Option<&str>,
) -> Result<Addon, DbError> {
    let addons = Platform::addons(platform, app)?;
    let list = || {
        if addons.is_empty() {
            "none".to_string()
        } else {
            addons
                .iter()
                .map(|a| format!("{} ({})", a.id, a.provider_id))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Some(wanted) = wanted {
        if let Some(addon) = addons.iter().find(|a| a.id == wanted) {
            return Ok(addon.clone());
        }
        let by_provider: Vec<&Addon> = addons.iter().filter(|a| a.provider_id == wanted).collect();
        return match by_provider.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(DbError::AddonNotFound {
                app: app.to_string(),
                wanted: wanted.to_string(),
                available: list(),
            }),
            many => Err(DbError::AmbiguousAddon {
                app: app.to_string(),
                candidates: many
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        };
    }
    let databases: Vec<&Addon> = addons
        .iter()
        .filter(|a| DATABASE_PROVIDERS.iter().any(|p| a.provider_id.contains(p)))
        .collect();
    // Several databases but one PostgreSQL: that is the one rollbacks are
    // about (a Redis cache next to it is common).
    let postgres: Vec<&Addon> = databases
        .iter()
        .copied()
        .filter(|a| a.is_postgresql())
        .collect();
    match (databases.as_slice(), postgres.as_slice()) {
        ([one], _) | (_, [one]) => Ok((*one).clone()),
        ([], _) => Err(DbError::NoDatabaseAddon {
            app: app.to_string(),
            found: list(),
        }),
        (many, _) => Err(DbError::AmbiguousAddon {
            app: app.to_string(),
            candidates: many
                .iter()
                .map(|a| format!("{} ({})", a.id, a.provider_id))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
