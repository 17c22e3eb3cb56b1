//! The multi-app scenario's repository, "acme": a release-please monorepo
//! with two components released together (the `linked-versions` plugin),
//! each deployed as its own Scalingo app from the same repository: `front`
//! (tags `front-v1.x.y`) and `api` (tags `api-v2.x.y`, with a PostgreSQL
//! database and its migrations under `api/migrations`).
//!
//! Three coordinated releases: the first two are good; the third breaks
//! both apps at once: the front's new checkout answers 503 while
//! `FEATURE_NEW_CHECKOUT` is on (the front's variable; the api never has
//! it, so the same `.sandbox/health` leaves the api answering 200), and the
//! api's migration drops a column while its new code writes orders priced
//! at zero.

/// The front's app name, on the sandbox and in rewind.toml (also its
/// release-please component).
pub const FRONT: &str = "front";
/// The api's app name and component.
pub const API: &str = "api";
/// Both apps, in the order their locks are taken (by name).
pub const APPS: [&str; 2] = [API, FRONT];
/// The clone's folder.
pub const REPO: &str = "acme";
/// The front's feature that the bad release ships on.
pub const FRONT_FLAG: &str = "FEATURE_NEW_CHECKOUT";

/// One coordinated release: a version of each component, tagged on one
/// release commit.
#[derive(Debug, Clone, Copy)]
pub struct LinkedRelease {
    pub front: &'static str,
    pub api: &'static str,
    pub date: &'static str,
    pub front_changelog: &'static str,
    pub api_changelog: &'static str,
    /// The api's migration this release adds, and its SQL.
    pub migration: (&'static str, &'static str),
    /// `.sandbox/health` (the whole repository's; its condition names the
    /// front's variable only).
    pub health: Option<&'static str>,
    /// The rows production writes into the api's database while this
    /// release runs.
    pub rows: &'static [&'static str],
}

impl LinkedRelease {
    pub fn front_tag(&self) -> String {
        format!("{FRONT}-v{}", self.front)
    }

    pub fn api_tag(&self) -> String {
        format!("{API}-v{}", self.api)
    }

    /// The tag of `app`'s version in this release.
    pub fn tag(&self, app: &str) -> String {
        if app == FRONT {
            self.front_tag()
        } else {
            self.api_tag()
        }
    }

    pub fn is_bad(&self) -> bool {
        self.health.is_some()
    }
}

pub const RELEASES: [LinkedRelease; 3] = [
    LinkedRelease {
        front: "1.0.0",
        api: "2.0.0",
        date: "2026-10-05",
        front_changelog: "### Features\n\n* catalogue: browse and order books",
        api_changelog: "### Features\n\n* orders: store orders and their payment",
        migration: (
            "001_create_orders.sql",
            "CREATE TABLE orders (\n  id serial PRIMARY KEY,\n  total_cents integer NOT NULL,\n  legacy_price_cents integer\n);\n",
        ),
        health: None,
        rows: &[
            "order 2001 paid 21.00 EUR (api v2.0.0)",
            "order 2002 paid 9.90 EUR (api v2.0.0)",
        ],
    },
    LinkedRelease {
        front: "1.1.0",
        api: "2.1.0",
        date: "2026-11-02",
        front_changelog: "### Features\n\n* basket: keep the basket across visits",
        api_changelog: "### Features\n\n* orders: keep the customer's email for the receipt",
        migration: (
            "002_add_customer_email.sql",
            "ALTER TABLE orders ADD COLUMN customer_email text;\n",
        ),
        health: None,
        rows: &[
            "order 2003 paid 44.50 EUR, receipt sent (api v2.1.0)",
            "order 2004 paid 15.00 EUR, receipt sent (api v2.1.0)",
        ],
    },
    LinkedRelease {
        front: "1.2.0",
        api: "2.2.0",
        date: "2026-11-16",
        front_changelog: "### Features\n\n* checkout: new one-page checkout behind FEATURE_NEW_CHECKOUT",
        api_changelog: "### ⚠ BREAKING CHANGES\n\n* pricing: legacy prices are gone\n\n### Features\n\n* pricing: prices computed by the new engine",
        migration: (
            "003_drop_legacy_prices.sql",
            "ALTER TABLE orders DROP COLUMN legacy_price_cents;\n",
        ),
        health: Some("503 when FEATURE_NEW_CHECKOUT=true"),
        rows: &[
            "order 2005 priced 0.00 EUR by the new engine (api v2.2.0)",
            "order 2006 priced 0.00 EUR by the new engine (api v2.2.0)",
        ],
    },
];

/// The coordinated release that breaks both apps.
pub fn bad() -> &'static LinkedRelease {
    &RELEASES[RELEASES.len() - 1]
}

/// The last good one, each app's target.
pub fn good() -> &'static LinkedRelease {
    &RELEASES[RELEASES.len() - 2]
}

/// release-please's config: two Node packages, their components in their
/// tags, versions bumped together by the `linked-versions` plugin.
pub const RELEASE_PLEASE_CONFIG: &str = r#"{
  "$schema": "https://raw.githubusercontent.com/googleapis/release-please/main/schemas/config.json",
  "separate-pull-requests": false,
  "packages": {
    "front": {
      "release-type": "node",
      "component": "front",
      "package-name": "acme-front"
    },
    "api": {
      "release-type": "node",
      "component": "api",
      "package-name": "acme-api"
    }
  },
  "plugins": [
    {
      "type": "linked-versions",
      "groupName": "acme",
      "components": ["front", "api"]
    }
  ]
}
"#;

/// release-please's manifest once `release` is out.
pub fn manifest(release: &LinkedRelease) -> String {
    format!(
        "{{\n  \"front\": \"{}\",\n  \"api\": \"{}\"\n}}\n",
        release.front, release.api
    )
}

/// A component's `package.json` at `version`.
pub fn package_json(component: &str, version: &str) -> String {
    format!(
        "{{\n  \"name\": \"acme-{component}\",\n  \"version\": \"{version}\",\n  \"private\": true,\n  \"scripts\": {{\n    \"start\": \"node server.js\"\n  }}\n}}\n"
    )
}

/// A component's `CHANGELOG.md` once `upto` (an index in [`RELEASES`]) is
/// released, newest section first, with release-please's compare links
/// between the component's tags.
pub fn changelog(component: &str, upto: usize) -> String {
    let version = |r: &LinkedRelease| if component == FRONT { r.front } else { r.api };
    let body = |r: &LinkedRelease| {
        if component == FRONT {
            r.front_changelog
        } else {
            r.api_changelog
        }
    };
    let mut out = String::from("# Changelog\n");
    for i in (0..=upto).rev() {
        let r = &RELEASES[i];
        let heading = match i.checked_sub(1) {
            Some(prev) => format!(
                "## [{v}](https://git.example.invalid/acme/{REPO}/compare/{component}-v{p}...{component}-v{v}) ({d})",
                v = version(r),
                p = version(&RELEASES[prev]),
                d = r.date
            ),
            None => format!("## {} ({})", version(r), r.date),
        };
        out.push_str(&format!("\n{heading}\n\n{}\n", body(r)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_core::release::{Version, changelog::sections_between};

    #[test]
    fn each_component_has_its_changelog_and_its_tags() {
        let v = |s: &str| Version::parse(s).expect("version");
        let api = changelog(API, 2);
        let sections = sections_between(&api, &v(bad().api), &v(good().api));
        assert_eq!(sections.len(), 1, "{api}");
        assert!(sections[0].body.iter().any(|l| l.contains("legacy prices")));
        assert_eq!(bad().tag(FRONT), "front-v1.2.0");
        assert_eq!(good().tag(API), "api-v2.1.0");
        assert!(bad().is_bad() && !good().is_bad());
        let config: serde_json::Value =
            serde_json::from_str(RELEASE_PLEASE_CONFIG).expect("valid JSON");
        assert_eq!(config["plugins"][0]["type"], "linked-versions");
    }
}
