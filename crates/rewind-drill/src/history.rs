//! The drill's app, "shop": a small Node-style app released with
//! release-please, four releases from v1.0.0 to v1.3.0, each with its
//! changelog section, its SQL migration and the rows production writes
//! while it runs. v1.3.0 is the bad one: its migration drops a column,
//! its app answers 503 while its feature is on (`.sandbox/health`), and
//! it writes orders at a price of zero.

/// The app's name, on the sandbox and in rewind.toml.
pub const APP: &str = "shop";
/// The environment variable of the feature v1.3.0 ships.
pub const FLAG: &str = "FEATURE_NEW_PRICING";
/// Its value once switched off.
pub const FLAG_OFF: &str = "false";
/// The release the drill breaks production with.
pub const BAD: &str = "1.3.0";
/// The last good release, which the redeploying paths put back.
pub const GOOD: &str = "1.2.0";

/// One release of the app.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    pub version: &'static str,
    pub date: &'static str,
    /// release-please's section body: `### Features` and its lines.
    pub changelog: &'static str,
    /// The migration file this release adds, and its SQL.
    pub migration: (&'static str, &'static str),
    /// What `.sandbox/health` holds: the status the app answers, and
    /// while which variable has which value.
    pub health: Option<&'static str>,
    /// The rows production writes while this release runs.
    pub rows: &'static [&'static str],
}

impl Release {
    pub fn tag(&self) -> String {
        format!("v{}", self.version)
    }
}

pub const RELEASES: [Release; 4] = [
    Release {
        version: "1.0.0",
        date: "2026-10-05",
        changelog: "### Features\n\n* orders: customers can order books and pay online",
        migration: (
            "001_create_orders.sql",
            "CREATE TABLE orders (\n  id serial PRIMARY KEY,\n  total_cents integer NOT NULL,\n  legacy_price_cents integer\n);\n",
        ),
        health: None,
        rows: &[
            "order 1001 paid 34.00 EUR (v1.0.0)",
            "order 1002 paid 12.50 EUR (v1.0.0)",
        ],
    },
    Release {
        version: "1.1.0",
        date: "2026-10-19",
        changelog: "### Features\n\n* orders: keep the customer's email for the receipt",
        migration: (
            "002_add_customer_email.sql",
            "ALTER TABLE orders ADD COLUMN customer_email text;\n",
        ),
        health: None,
        rows: &["order 1003 paid 58.90 EUR, receipt sent (v1.1.0)"],
    },
    Release {
        version: "1.2.0",
        date: "2026-11-02",
        changelog: "### Bug Fixes\n\n* vat: round each line before summing",
        migration: (
            "003_index_orders_total.sql",
            "CREATE INDEX orders_total ON orders (total_cents);\n",
        ),
        health: None,
        rows: &[
            "order 1004 paid 19.99 EUR, VAT rounded per line (v1.2.0)",
            "order 1005 paid 7.00 EUR, VAT rounded per line (v1.2.0)",
        ],
    },
    Release {
        version: "1.3.0",
        date: "2026-11-16",
        changelog: "### ⚠ BREAKING CHANGES\n\n* pricing: legacy prices are gone\n\n### Features\n\n* pricing: new pricing engine behind FEATURE_NEW_PRICING",
        migration: (
            "004_drop_legacy_prices.sql",
            "ALTER TABLE orders DROP COLUMN legacy_price_cents;\n",
        ),
        health: Some("503 when FEATURE_NEW_PRICING=true"),
        rows: &[
            "order 1006 priced 0.00 EUR by the new pricing (v1.3.0)",
            "order 1007 priced 0.00 EUR by the new pricing (v1.3.0)",
        ],
    },
];

/// The release with this version.
pub fn release(version: &str) -> Option<&'static Release> {
    RELEASES.iter().find(|r| r.version == version)
}

/// `package.json` at `version`.
pub fn package_json(version: &str) -> String {
    format!(
        "{{\n  \"name\": \"{APP}\",\n  \"version\": \"{version}\",\n  \"private\": true,\n  \"scripts\": {{\n    \"prepare\": \"node scripts/prepare.js\",\n    \"start\": \"node server.js\"\n  }}\n}}\n"
    )
}

/// `CHANGELOG.md` as release-please writes it once `upto` (an index in
/// [`RELEASES`]) is released: newest section first.
pub fn changelog(upto: usize) -> String {
    let mut out = String::from("# Changelog\n");
    for i in (0..=upto).rev() {
        let r = &RELEASES[i];
        let heading = match i.checked_sub(1) {
            Some(prev) => format!(
                "## [{v}](https://git.example.invalid/acme/{APP}/compare/v{p}...v{v}) ({d})",
                v = r.version,
                p = RELEASES[prev].version,
                d = r.date
            ),
            None => format!("## {} ({})", r.version, r.date),
        };
        out.push_str(&format!("\n{heading}\n\n{}\n", r.changelog));
    }
    out
}

/// release-please's config: one Node package at the root, tags `v1.2.3`.
pub const RELEASE_PLEASE_CONFIG: &str = "{\n  \"packages\": {\n    \".\": {\n      \"release-type\": \"node\",\n      \"include-component-in-tag\": false\n    }\n  }\n}\n";

/// release-please's manifest at `version`.
pub fn manifest(version: &str) -> String {
    format!("{{\n  \".\": \"{version}\"\n}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_core::release::{Version, changelog::sections_between};

    #[test]
    fn the_changelog_reads_as_release_please_sections() {
        let text = changelog(3);
        let v = |s: &str| Version::parse(s).expect("version");
        let sections = sections_between(&text, &v(BAD), &v(GOOD));
        assert_eq!(sections.len(), 1, "{text}");
        assert!(sections[0].body.iter().any(|l| l.contains("new pricing")));
        assert!(release(BAD).and_then(|r| r.health).is_some());
        assert!(release(GOOD).is_some_and(|r| r.health.is_none()));
    }
}
