//! Turning an app seed (from the configuration or `POST /_sandbox/apps`)
//! into an app of the world, and the rules both check first: the app's
//! name (it names a directory: `../../etc` must never reach the disk), its
//! repository, its SCM branch and its addons.

use crate::config::AppSeed;
use crate::state::{Addon, App, ScmLink};
use crate::time::{new_id, now};

/// The platform's limit on app names.
const MAX_APP_NAME_LEN: usize = 48;

/// A new app as the seed describes it.
pub fn app_from_seed(seed: &AppSeed) -> App {
    let mut app = App::new(&seed.name);
    app.repo = seed.repo.clone();
    app.scm = seed.scm.as_ref().map(|s| ScmLink {
        id: new_id(),
        branch: s.branch.clone(),
        auto_deploy_enabled: s.auto_deploy,
        created_at: now(),
        updated_at: now(),
    });
    for a in &seed.addons {
        app.addons.push(Addon {
            id: new_id(),
            resource_id: format!("{}-{}", seed.name, &new_id()[..4]),
            provider: a.provider.clone(),
            plan: a.plan.clone(),
            status: "running".to_string(),
            provisioned_at: now(),
        });
    }
    app
}

/// App names as the platform accepts them: lower-case letters, digits and
/// dashes, starting with a letter, not ending with a dash. `Err` says why.
pub fn check_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("can't be blank".to_string());
    }
    if name.len() > MAX_APP_NAME_LEN {
        return Err(format!(
            "is too long (at most {MAX_APP_NAME_LEN} characters)"
        ));
    }
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !starts_with_letter || !allowed || name.ends_with('-') {
        return Err(
            "is invalid: lower-case letters, digits and dashes, starting with a letter".to_string(),
        );
    }
    Ok(())
}

/// The longest repository path, branch, provider or plan a seed may give.
const MAX_TEXT_LEN: usize = 4096;

/// Checks everything an app seed gives; `Err((field, why))` names the field
/// (`name`, `repo`, `scm.branch`, `addons[0].provider`...) and what to fix.
pub fn check_app_seed(seed: &AppSeed) -> Result<(), (String, String)> {
    check_app_name(&seed.name).map_err(|m| ("name".to_string(), m))?;
    if let Some(repo) = &seed.repo {
        check_text(repo, "a local path or a file:// URL of a git repository")
            .map_err(|m| ("repo".to_string(), m))?;
    }
    if let Some(scm) = &seed.scm {
        check_branch(&scm.branch).map_err(|m| ("scm.branch".to_string(), m))?;
    }
    for (i, addon) in seed.addons.iter().enumerate() {
        check_word(&addon.provider, "scalingo-postgresql")
            .map_err(|m| (format!("addons[{i}].provider"), m))?;
        check_word(&addon.plan, "postgresql-starter-512")
            .map_err(|m| (format!("addons[{i}].plan"), m))?;
    }
    Ok(())
}

/// Text that reaches git or the disk: not blank, no control character,
/// not absurdly long.
fn check_text(text: &str, expected: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("can't be blank: give {expected}"));
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(format!("is too long (at most {MAX_TEXT_LEN} bytes)"));
    }
    if text.chars().any(char::is_control) {
        return Err("holds a control character".to_string());
    }
    Ok(())
}

/// A branch name git accepts and that cannot pass for an option.
fn check_branch(branch: &str) -> Result<(), String> {
    check_text(branch, "a branch name such as `main`")?;
    let bad = branch.starts_with('-')
        || branch.starts_with('/')
        || branch.ends_with('/')
        || branch.ends_with('.')
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("@{")
        || branch.contains("//")
        || branch
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'));
    if bad {
        return Err(
            "is not a branch name git accepts (such as `main` or `release/v1`)".to_string(),
        );
    }
    Ok(())
}

/// A provider or plan id: lower-case letters, digits and dashes.
fn check_word(word: &str, example: &str) -> Result<(), String> {
    let ok = !word.is_empty()
        && word.len() <= 100
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is invalid: lower-case letters, digits and dashes, such as `{example}`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_branch;

    #[test]
    fn branches_git_refuses_are_refused() {
        for good in ["main", "release/v1.2.0", "feature-x"] {
            assert!(check_branch(good).is_ok(), "{good}");
        }
        for bad in [
            "", " ", "-rf", "../x", "a..b", "a b", "x.lock", "a~1", "/x", "x/", "a\u{1b}b",
        ] {
            assert!(check_branch(bad).is_err(), "{bad}");
        }
    }
}
