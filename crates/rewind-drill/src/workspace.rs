//! The drill's workspace: a directory holding the app's bare "origin"
//! repository (what the sandbox deploys from), a clone of it (where rewind
//! runs, as an engineer's checkout), and rewind's journal, ticket drafts
//! and safety backups. A temporary one is removed when the drill ends;
//! `--keep DIR` builds it where asked and leaves it there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_core::config::Config;
use rewind_core::config::init::{InitOptions, init};

use crate::error::DrillError;
use crate::git::git;
use crate::history::{
    APP, FLAG, FLAG_OFF, RELEASE_PLEASE_CONFIG, RELEASES, Release, changelog, manifest,
    package_json,
};
use crate::monorepo::{self, API, FRONT, FRONT_FLAG, LinkedRelease};

/// Where the drill works.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    /// The bare repository the sandbox deploys from.
    pub origin: PathBuf,
    /// The engineer's clone, where rewind.toml lives.
    pub clone: PathBuf,
    pub journal_dir: PathBuf,
    pub ticket_dir: PathBuf,
    pub backup_dir: PathBuf,
    /// Each release and its commit, oldest first.
    pub releases: Vec<(Release, String)>,
    /// The multi-app scenario's tags and their commits, oldest first
    /// (`front-v1.0.0`, `api-v2.0.0`, ...).
    pub tags: Vec<(String, String)>,
    /// Removed on drop, unless the person asked to keep it.
    temporary: bool,
}

/// What the drill's rewind.toml points at.
#[derive(Debug, Clone)]
pub struct ConfigSettings {
    /// The sandbox's base URL: the app's health URL lives under it.
    pub sandbox_url: String,
    /// The local webhook listener.
    pub webhook_url: String,
    /// How long before the bad deploy the database is restored to.
    pub margin: Duration,
    /// Pause between two health check tries.
    pub health_interval: Duration,
}

impl Workspace {
    /// Builds the workspace in `keep` (created if missing, and refused
    /// unless empty, so nothing of the person's is mixed in), or in a new
    /// temporary directory.
    pub fn create(keep: Option<&Path>) -> Result<Workspace, DrillError> {
        let mut ws = Workspace::empty(keep, APP)?;
        ws.build_history()?;
        Ok(ws)
    }

    /// The multi-app scenario's workspace: the release-please monorepo
    /// of [`crate::monorepo`] (front and api), its origin and a clone.
    pub fn create_monorepo(keep: Option<&Path>) -> Result<Workspace, DrillError> {
        let mut ws = Workspace::empty(keep, monorepo::REPO)?;
        ws.build_monorepo()?;
        Ok(ws)
    }

    /// The folders, before any history: the clone is `clone_name`.
    fn empty(keep: Option<&Path>, clone_name: &str) -> Result<Workspace, DrillError> {
        let (root, temporary) = match keep {
            Some(dir) => {
                let busy = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
                if busy {
                    return Err(DrillError::Write {
                        path: dir.to_path_buf(),
                        source: std::io::Error::other(
                            "the directory is not empty: give --keep a new or empty directory",
                        ),
                    });
                }
                (dir.to_path_buf(), false)
            }
            None => {
                use rand::Rng;
                let suffix: u32 = rand::rng().random();
                let dir = std::env::temp_dir().join(format!("rewind-drill-{suffix:08x}"));
                (dir, true)
            }
        };
        mkdir(&root)?;
        let root = root.canonicalize().map_err(|source| DrillError::Write {
            path: root.clone(),
            source,
        })?;
        let ws = Workspace {
            origin: root.join("origin.git"),
            clone: root.join(clone_name),
            journal_dir: root.join("journal"),
            ticket_dir: root.join("tickets"),
            backup_dir: root.join("backups"),
            root,
            releases: Vec::new(),
            tags: Vec::new(),
            temporary,
        };
        for dir in [&ws.journal_dir, &ws.ticket_dir, &ws.backup_dir] {
            mkdir(dir)?;
        }
        Ok(ws)
    }

    /// Whether the workspace is removed when the drill ends.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }

    /// The commit of a release.
    pub fn commit(&self, version: &str) -> Option<&str> {
        self.releases
            .iter()
            .find(|(r, _)| r.version == version)
            .map(|(_, sha)| sha.as_str())
    }

    /// The commit a tag points at (the multi-app scenario's tags).
    pub fn tagged(&self, tag: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, sha)| sha.as_str())
    }

    /// The repository history, as release-please leaves it: for each
    /// release a feature commit (code and migration) and a release commit
    /// (version, changelog, manifest), tagged; all pushed to origin.
    fn build_history(&mut self) -> Result<(), DrillError> {
        let first = RELEASES[0].date;
        git(
            &self.root,
            first,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        )?;
        git(
            &self.root,
            first,
            &["init", "--quiet", "--initial-branch=main", APP],
        )?;
        let origin = self.origin.display().to_string();
        git(&self.clone, first, &["remote", "add", "origin", &origin])?;
        write(
            &self.clone.join("release-please-config.json"),
            RELEASE_PLEASE_CONFIG,
        )?;
        for (i, release) in RELEASES.iter().enumerate() {
            let (file, sql) = release.migration;
            write(&self.clone.join("migrations").join(file), sql)?;
            write(&self.clone.join("src/server.js"), &server_js(release))?;
            let health = self.clone.join(".sandbox/health");
            match release.health {
                Some(rule) => write(&health, &format!("{rule}\n"))?,
                None if health.exists() => {
                    std::fs::remove_file(&health).map_err(|source| DrillError::Write {
                        path: health.clone(),
                        source,
                    })?
                }
                None => {}
            }
            let subject = release
                .changelog
                .lines()
                .rev()
                .find(|l| l.starts_with("* "));
            let subject = subject.map_or("changes", |l| l.trim_start_matches("* "));
            let kind = if release.changelog.contains("Bug Fixes") {
                "fix"
            } else {
                "feat"
            };
            git(&self.clone, release.date, &["add", "--all"])?;
            git(
                &self.clone,
                release.date,
                &["commit", "--quiet", "-m", &format!("{kind}: {subject}")],
            )?;
            write(
                &self.clone.join("package.json"),
                &package_json(release.version),
            )?;
            write(&self.clone.join("CHANGELOG.md"), &changelog(i))?;
            write(
                &self.clone.join(".release-please-manifest.json"),
                &manifest(release.version),
            )?;
            git(&self.clone, release.date, &["add", "--all"])?;
            git(
                &self.clone,
                release.date,
                &[
                    "commit",
                    "--quiet",
                    "-m",
                    &format!("chore(main): release {}", release.version),
                ],
            )?;
            git(&self.clone, release.date, &["tag", &release.tag()])?;
            let sha = git(&self.clone, release.date, &["rev-parse", "HEAD"])?;
            self.releases.push((*release, sha));
        }
        let last = RELEASES[RELEASES.len() - 1].date;
        git(
            &self.clone,
            last,
            &["push", "--quiet", "origin", "main", "--tags"],
        )?;
        git(
            &self.clone,
            last,
            &["branch", "--quiet", "--set-upstream-to=origin/main"],
        )?;
        Ok(())
    }

    /// Writes `rewind.toml` in the clone as `rewind init` writes it, then
    /// fills in what a team adds by hand: a short restore margin, the
    /// health check, the feature flag and the team's webhook. Returns the
    /// loaded configuration, so a file rewind cannot read stops the drill.
    pub fn write_config(&self, settings: &ConfigSettings) -> Result<Config, DrillError> {
        let outcome = init(&InitOptions {
            dir: self.clone.clone(),
            app: Some(APP.to_string()),
            force: false,
        })
        .map_err(DrillError::Init)?;
        let path = outcome.path;
        let text = std::fs::read_to_string(&path).map_err(|source| DrillError::Write {
            path: path.clone(),
            source,
        })?;
        let margin = rewind_core::config::format_duration(settings.margin);
        let mut found = false;
        let mut out: String = text
            .lines()
            .map(|line| {
                if line.starts_with("margin = ") && !found {
                    found = true;
                    format!("margin = \"{margin}\"  # the drill's deploys are minutes apart, not hours\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        if !found {
            return Err(DrillError::InitShape("margin".into()));
        }
        let interval = rewind_core::config::format_duration(settings.health_interval);
        out.push_str(&format!(
            "\n# Added for the drill, as a team would by hand.\n\
             [apps.health_check]\n\
             url = \"{base}/_apps/{APP}/health\"\n\
             retries = 3\n\
             interval = \"{interval}\"\n\
             expect_status = 200\n\n\
             [[apps.feature_flags]]\n\
             name = \"{FLAG}\"\n\
             off_value = \"{FLAG_OFF}\"\n\
             description = \"the new pricing engine of v1.3.0\"\n\n\
             [apps.watch]\n\
             auto = [\"feature-flag-off\"]  # rewind watch --policy auto may switch it off\n\n\
             [notify]\n\
             webhook_url = \"{hook}\"\n",
            base = settings.sandbox_url.trim_end_matches('/'),
            hook = settings.webhook_url,
        ));
        write(&path, &out)?;
        Config::load(&path).map_err(DrillError::Config)
    }
}

/// The multi-app scenario's repository and rewind.toml.
impl Workspace {
    /// The monorepo's history, as release-please leaves it with linked
    /// versions: for each coordinated release, a feature commit (both
    /// components' code, the api's migration) and one release commit
    /// (both versions, both changelogs, the manifest) carrying both
    /// components' tags; all pushed to origin.
    fn build_monorepo(&mut self) -> Result<(), DrillError> {
        let releases = &monorepo::RELEASES;
        let first = releases[0].date;
        git(
            &self.root,
            first,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        )?;
        git(
            &self.root,
            first,
            &["init", "--quiet", "--initial-branch=main", monorepo::REPO],
        )?;
        let origin = self.origin.display().to_string();
        git(&self.clone, first, &["remote", "add", "origin", &origin])?;
        write(
            &self.clone.join("release-please-config.json"),
            monorepo::RELEASE_PLEASE_CONFIG,
        )?;
        for (i, release) in releases.iter().enumerate() {
            let (file, sql) = release.migration;
            write(&self.clone.join("api/migrations").join(file), sql)?;
            write(
                &self.clone.join("front/src/checkout.js"),
                &front_js(release),
            )?;
            write(&self.clone.join("api/src/pricing.js"), &api_js(release))?;
            let health = self.clone.join(".sandbox/health");
            match release.health {
                Some(rule) => write(&health, &format!("{rule}\n"))?,
                None if health.exists() => {
                    std::fs::remove_file(&health).map_err(|source| DrillError::Write {
                        path: health.clone(),
                        source,
                    })?
                }
                None => {}
            }
            git(&self.clone, release.date, &["add", "--all"])?;
            let subject = if release.is_bad() {
                "feat(api)!: new pricing engine; feat(front): one-page checkout"
            } else {
                "feat: front and api features"
            };
            git(
                &self.clone,
                release.date,
                &["commit", "--quiet", "-m", subject],
            )?;
            for (component, version) in [(FRONT, release.front), (API, release.api)] {
                let dir = self.clone.join(component);
                write(
                    &dir.join("package.json"),
                    &monorepo::package_json(component, version),
                )?;
                write(
                    &dir.join("CHANGELOG.md"),
                    &monorepo::changelog(component, i),
                )?;
            }
            write(
                &self.clone.join(".release-please-manifest.json"),
                &monorepo::manifest(release),
            )?;
            git(&self.clone, release.date, &["add", "--all"])?;
            git(
                &self.clone,
                release.date,
                &["commit", "--quiet", "-m", "chore: release main"],
            )?;
            let sha = git(&self.clone, release.date, &["rev-parse", "HEAD"])?;
            for tag in [release.front_tag(), release.api_tag()] {
                git(&self.clone, release.date, &["tag", &tag])?;
                self.tags.push((tag, sha.clone()));
            }
        }
        let last = releases[releases.len() - 1].date;
        git(
            &self.clone,
            last,
            &["push", "--quiet", "origin", "main", "--tags"],
        )?;
        git(
            &self.clone,
            last,
            &["branch", "--quiet", "--set-upstream-to=origin/main"],
        )?;
        Ok(())
    }

    /// rewind.toml for the monorepo, as a team writes it: one app per
    /// component, tags `{component}-v{version}`, the api's database and
    /// migrations, each app's health check, the front's feature flag and
    /// the team's webhook.
    pub fn write_monorepo_config(&self, settings: &ConfigSettings) -> Result<Config, DrillError> {
        let path = self.clone.join(rewind_core::config::FILE_NAME);
        let margin = rewind_core::config::format_duration(settings.margin);
        let interval = rewind_core::config::format_duration(settings.health_interval);
        let base = settings.sandbox_url.trim_end_matches('/');
        let health = |app: &str| {
            format!(
                "[apps.health_check]\n\
                 url = \"{base}/_apps/{app}/health\"\n\
                 retries = 3\n\
                 interval = \"{interval}\"\n\
                 expect_status = 200\n"
            )
        };
        let text = format!(
            "# rewind.toml: the apps released from the acme monorepo, one per\n\
             # release-please component (release-please-config.json links their versions).\n\n\
             [notify]\n\
             webhook_url = \"{hook}\"\n\n\
             [[apps]]\n\
             name = \"{API}\"\n\
             platform = \"scalingo\"\n\
             region = \"osc-fr1\"\n\
             remote = \"origin\"\n\
             tag_format = \"{{component}}-v{{version}}\"\n\
             component = \"{API}\"\n\n\
             [apps.database]\n\
             addon = \"scalingo-postgresql\"\n\
             margin = \"{margin}\"  # the drill's deploys are minutes apart, not hours\n\
             migrations = [\"api/migrations\"]\n\n\
             {api_health}\n\
             [[apps]]\n\
             name = \"{FRONT}\"\n\
             platform = \"scalingo\"\n\
             region = \"osc-fr1\"\n\
             remote = \"origin\"\n\
             tag_format = \"{{component}}-v{{version}}\"\n\
             component = \"{FRONT}\"\n\n\
             {front_health}\n\
             [[apps.feature_flags]]\n\
             name = \"{FRONT_FLAG}\"\n\
             off_value = \"false\"\n\
             description = \"the one-page checkout of front v1.2.0\"\n",
            hook = settings.webhook_url,
            api_health = health(API),
            front_health = health(FRONT),
        );
        write(&path, &text)?;
        Config::load(&path).map_err(DrillError::Config)
    }
}

/// The front's code, just enough to show what each release changed.
fn front_js(release: &LinkedRelease) -> String {
    let checkout = if release.is_bad() {
        "process.env.FEATURE_NEW_CHECKOUT === 'true' ? onePage() : steps()"
    } else {
        "steps()"
    };
    format!(
        "// front {}\nconst checkout = () => {checkout};\nmodule.exports = {{ checkout }};\n",
        release.front
    )
}

/// The api's code.
fn api_js(release: &LinkedRelease) -> String {
    let price = if release.is_bad() {
        "newEngine(order)"
    } else {
        "order.total"
    };
    format!(
        "// api {}\nconst price = (order) => {price};\nmodule.exports = {{ price }};\n",
        release.api
    )
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if self.temporary {
            // Best effort: a leftover temporary directory harms nobody.
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// The app's code, just enough to show what each release changed.
fn server_js(release: &Release) -> String {
    let pricing = if release.health.is_some() {
        "process.env.FEATURE_NEW_PRICING === 'true' ? newPricing(order) : order.total"
    } else {
        "order.total"
    };
    format!(
        "// shop {version}\nconst price = (order) => {pricing};\nmodule.exports = {{ price }};\n",
        version = release.version
    )
}

fn mkdir(dir: &Path) -> Result<(), DrillError> {
    std::fs::create_dir_all(dir).map_err(|source| DrillError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), DrillError> {
    if let Some(parent) = path.parent() {
        mkdir(parent)?;
    }
    std::fs::write(path, text).map_err(|source| DrillError::Write {
        path: path.to_path_buf(),
        source,
    })
}
