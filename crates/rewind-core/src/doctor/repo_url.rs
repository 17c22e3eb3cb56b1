//! `owner/name` of a repository from any URL form git and SCM links use
//! (`https://github.com/acme/shop.git`, `git@github.com:acme/shop.git`,
//! `ssh://git@host:22/acme/shop`, `file:///srv/git/acme/shop.git`, a bare
//! path), so that the SCM link and the git remote can be compared.

/// A repository's owner (or group path, for GitLab subgroups: its last
/// part) and name, lowercased: hosts compare them without case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl RepoName {
    pub fn new(owner: &str, name: &str) -> Option<RepoName> {
        let owner = owner.trim().to_ascii_lowercase();
        let name = name
            .trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase();
        (!owner.is_empty() && !name.is_empty()).then_some(RepoName { owner, name })
    }

    /// Reads the last two path segments of `url`; `None` when it has
    /// fewer.
    pub fn from_url(url: &str) -> Option<RepoName> {
        let url = url.trim();
        let path = if let Some((_, rest)) = url.split_once("://") {
            // scheme://[user@]host[:port]/path: the path after the host.
            rest.split_once('/').map_or("", |(_, path)| path)
        } else if let Some((before, after)) = url.split_once(':')
            && !before.contains('/')
            && !url.starts_with('/')
        {
            // scp-like: [user@]host:path
            after
        } else {
            url
        };
        let mut parts = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != "." && *p != "..")
            .rev();
        let name = parts.next()?;
        let owner = parts.next()?;
        RepoName::new(owner, name)
    }
}

#[cfg(test)]
mod tests {
    use super::RepoName;

    fn name(url: &str) -> Option<String> {
        RepoName::from_url(url).map(|r| r.to_string())
    }

    #[test]
    fn https_ssh_and_scp_forms_give_the_same_owner_and_name() {
        for url in [
            "https://github.com/Acme/Shop.git",
            "https://github.com/acme/shop",
            "https://user:tok@github.com/acme/shop/",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com:22/acme/shop.git",
            "ssh://git@github.com/acme/shop",
        ] {
            assert_eq!(name(url).as_deref(), Some("acme/shop"), "{url}");
        }
    }

    #[test]
    fn gitlab_subgroups_and_local_paths_keep_their_last_two_segments() {
        assert_eq!(
            name("git@gitlab.com:acme/team/shop.git").as_deref(),
            Some("team/shop")
        );
        assert_eq!(
            name("file:///srv/git/acme/shop.git").as_deref(),
            Some("acme/shop")
        );
        assert_eq!(name("/srv/git/acme/shop.git").as_deref(), Some("acme/shop"));
        assert_eq!(name("https://github.com/shop"), None);
        assert_eq!(name("shop"), None);
    }

    #[test]
    fn another_repository_differs() {
        assert_ne!(
            RepoName::from_url("git@github.com:acme/shop.git"),
            RepoName::from_url("https://github.com/acme/shop-fork")
        );
    }
}
