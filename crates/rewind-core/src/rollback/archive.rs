//! Where the archive method finds a tag's source archive: the `.tar.gz`
//! GitHub or GitLab serve for every tag, built from the app's SCM link, or
//! a URL template the user sets in [`ARCHIVE_TEMPLATE_ENV`] (a private
//! repository's URL with a token, a mirror, or a local file for the
//! sandbox, which fetches only `file://` and 127.0.0.1 URLs).

use crate::platform::ScmLink;
use crate::secret::Secret;

use super::error::RollbackError;

/// The environment variable holding an archive URL template, with `{tag}`
/// (and optionally `{commit}`) where they go. It may carry a token: it is
/// handled as a secret and never shown or journaled.
pub const ARCHIVE_TEMPLATE_ENV: &str = "REWIND_ARCHIVE_URL_TEMPLATE";

/// The archive URL of `tag` at `commit`, and how it may be shown.
pub fn archive_url(
    app: &str,
    template: Option<&Secret>,
    link: Option<&ScmLink>,
    tag: &str,
    commit: &str,
) -> Result<(Secret, String), RollbackError> {
    if let Some(template) = template {
        let text = template.expose();
        if !text.contains("{tag}") && !text.contains("{commit}") {
            return Err(RollbackError::ArchiveTemplate);
        }
        let url = text.replace("{tag}", tag).replace("{commit}", commit);
        return Ok((
            Secret::new(url),
            format!("the URL in {ARCHIVE_TEMPLATE_ENV}"),
        ));
    }
    let scm = link.and_then(|l| l.scm_type.as_deref()).unwrap_or("none");
    let (owner, repo) = match link.map(|l| (l.owner.as_deref(), l.repo.as_deref())) {
        Some((Some(owner), Some(repo))) => (owner, repo),
        _ => {
            return Err(RollbackError::NoArchiveUrl {
                app: app.to_string(),
                scm: scm.to_string(),
            });
        }
    };
    let url = match scm {
        "github" => format!("https://github.com/{owner}/{repo}/archive/refs/tags/{tag}.tar.gz"),
        "gitlab" => {
            format!("https://gitlab.com/{owner}/{repo}/-/archive/{tag}/{repo}-{tag}.tar.gz")
        }
        _ => {
            return Err(RollbackError::NoArchiveUrl {
                app: app.to_string(),
                scm: scm.to_string(),
            });
        }
    };
    Ok((Secret::new(url.clone()), url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(scm: &str) -> ScmLink {
        ScmLink {
            owner: Some("acme".into()),
            repo: Some("shop".into()),
            branch: Some("main".into()),
            scm_type: Some(scm.into()),
            auto_deploy_enabled: true,
            url: None,
        }
    }

    #[test]
    fn github_and_gitlab_tag_archives() {
        let (url, shown) =
            archive_url("shop", None, Some(&link("github")), "v1.2.0", "abc").expect("github");
        assert_eq!(
            url.expose(),
            "https://github.com/acme/shop/archive/refs/tags/v1.2.0.tar.gz"
        );
        assert_eq!(shown, url.expose());
        let (url, _) =
            archive_url("shop", None, Some(&link("gitlab")), "v1.2.0", "abc").expect("gitlab");
        assert_eq!(
            url.expose(),
            "https://gitlab.com/acme/shop/-/archive/v1.2.0/shop-v1.2.0.tar.gz"
        );
    }

    #[test]
    fn a_template_wins_and_is_never_shown() {
        let template = Secret::new("https://x/{tag}.tar.gz?token=s3cret");
        let (url, shown) = archive_url(
            "shop",
            Some(&template),
            Some(&link("github")),
            "v1.2.0",
            "abc",
        )
        .expect("template");
        assert_eq!(url.expose(), "https://x/v1.2.0.tar.gz?token=s3cret");
        assert!(!shown.contains("s3cret"));
        let bad = Secret::new("https://x/archive.tar.gz");
        assert!(matches!(
            archive_url("shop", Some(&bad), None, "v1", "abc"),
            Err(RollbackError::ArchiveTemplate)
        ));
    }

    #[test]
    fn other_scms_need_a_template() {
        let err =
            archive_url("shop", None, Some(&link("bitbucket")), "v1", "abc").expect_err("unknown");
        assert!(err.to_string().contains("bitbucket"), "{err}");
        assert!(matches!(
            archive_url("shop", None, None, "v1", "abc"),
            Err(RollbackError::NoArchiveUrl { .. })
        ));
    }
}
