//! What kind of database an addon is (PostgreSQL, Redis, MySQL, ...), read
//! from its provider id, and what follows from it: the database API's
//! `type_name`, a version to show, the dump file's extension, and whether
//! point-in-time recovery exists (PostgreSQL only, as on Scalingo).

/// The engine of a database addon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    type_name: String,
}

impl Engine {
    /// `scalingo-postgresql` -> `postgresql`; providers outside Scalingo's
    /// own keep their id.
    pub fn of_provider(provider: &str) -> Engine {
        let type_name = provider.strip_prefix("scalingo-").unwrap_or(provider);
        Engine {
            type_name: type_name.to_string(),
        }
    }

    /// The database API's `type_name`.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The name the dashboard and the events use (`addon_name`).
    pub fn display_name(&self) -> String {
        match self.type_name.as_str() {
            "postgresql" => "PostgreSQL".to_string(),
            "mysql" => "MySQL".to_string(),
            "redis" => "Redis".to_string(),
            "mongodb" => "MongoDB".to_string(),
            "elasticsearch" => "Elasticsearch".to_string(),
            "influxdb" => "InfluxDB".to_string(),
            "opensearch" => "OpenSearch".to_string(),
            other => {
                let mut chars = other.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => other.to_string(),
                }
            }
        }
    }

    /// A plausible `readable_version` for the engine.
    pub fn readable_version(&self) -> &'static str {
        match self.type_name.as_str() {
            "postgresql" => "16.4.0-1",
            "mysql" => "8.0.36-1",
            "redis" => "7.2.5-1",
            "mongodb" => "7.0.12-1",
            "elasticsearch" => "7.10.2-1",
            "influxdb" => "1.8.10-1",
            _ => "1.0.0-1",
        }
    }

    /// The engine's usual port, shown in `hostname`.
    pub fn default_port(&self) -> u16 {
        match self.type_name.as_str() {
            "postgresql" => 5432,
            "mysql" => 3306,
            "redis" => 6379,
            "mongodb" => 27017,
            "elasticsearch" | "opensearch" => 9200,
            "influxdb" => 8086,
            _ => 10000,
        }
    }

    /// Extension of the dump file inside a backup archive.
    pub fn dump_extension(&self) -> &'static str {
        match self.type_name.as_str() {
            "postgresql" => "pgsql",
            "mysql" => "sql",
            "redis" => "rdb",
            "mongodb" => "bson",
            _ => "dump",
        }
    }

    /// Point-in-time recovery exists for PostgreSQL only.
    pub fn supports_pitr(&self) -> bool {
        self.type_name == "postgresql"
    }
}

#[cfg(test)]
mod tests {
    use super::Engine;

    #[test]
    fn reads_the_type_from_the_provider() {
        let pg = Engine::of_provider("scalingo-postgresql");
        assert_eq!(pg.type_name(), "postgresql");
        assert!(pg.supports_pitr());
        assert_eq!(pg.dump_extension(), "pgsql");
        let redis = Engine::of_provider("scalingo-redis");
        assert_eq!(redis.type_name(), "redis");
        assert_eq!(redis.display_name(), "Redis");
        assert!(!redis.supports_pitr());
        assert_eq!(Engine::of_provider("custom").display_name(), "Custom");
    }
}
