//! Release tag names as release-please writes them: `v{version}` (its
//! default), `{version}`, `{component}-v{version}` for monorepos, or a fixed
//! component such as `etl-v{version}`. A [`TagFormat`] turns tag names into
//! versions and back.

use std::fmt;

use super::version::Version;

/// Why a tag format template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagFormatError {
    /// The template has no `{version}`, or has it twice.
    #[error("tag format `{template}` must contain `{{version}}` exactly once")]
    VersionPlaceholder { template: String },
    /// `{component}` appears more than once.
    #[error("tag format `{template}` may contain `{{component}}` at most once")]
    ComponentPlaceholder { template: String },
    /// Some other `{...}` that rewind does not know.
    #[error(
        "tag format `{template}` has an unknown placeholder `{placeholder}` (use `{{version}}` and `{{component}}`)"
    )]
    UnknownPlaceholder {
        template: String,
        placeholder: String,
    },
    /// Two placeholders side by side cannot be told apart in a tag name.
    #[error(
        "tag format `{template}` puts `{{component}}` and `{{version}}` side by side; separate them (e.g. `{{component}}-v{{version}}`)"
    )]
    AdjacentPlaceholders { template: String },
    /// Formatting a tag for a template with `{component}` needs a component.
    #[error("tag format `{template}` needs a component name to build a tag")]
    MissingComponent { template: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Component,
    Version,
}

/// A parsed tag name template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFormat {
    template: String,
    segments: Vec<Segment>,
}

/// A tag that matches a [`TagFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTag {
    /// The tag's full name, e.g. `etl-v1.2.0`.
    pub name: String,
    /// What `{component}` matched, if the format has one.
    pub component: Option<String>,
    /// The version in the tag.
    pub version: Version,
}

impl fmt::Display for ReleaseTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Lets [`super::nearest`] take tags or references to tags.
impl AsRef<ReleaseTag> for ReleaseTag {
    fn as_ref(&self) -> &ReleaseTag {
        self
    }
}

impl Default for TagFormat {
    /// release-please's default, `v{version}`.
    fn default() -> Self {
        TagFormat::parse("v{version}").expect("the default tag format is valid")
    }
}

impl fmt::Display for TagFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

impl TagFormat {
    /// Parses a template such as `v{version}` or `{component}-v{version}`.
    pub fn parse(template: &str) -> Result<Self, TagFormatError> {
        let segments = split_template(template)?;
        let count = |wanted: &Segment| segments.iter().filter(|s| *s == wanted).count();
        if count(&Segment::Version) != 1 {
            return Err(TagFormatError::VersionPlaceholder {
                template: template.to_string(),
            });
        }
        if count(&Segment::Component) > 1 {
            return Err(TagFormatError::ComponentPlaceholder {
                template: template.to_string(),
            });
        }
        let adjacent = segments
            .windows(2)
            .any(|w| !matches!(w[0], Segment::Literal(_)) && !matches!(w[1], Segment::Literal(_)));
        if adjacent {
            return Err(TagFormatError::AdjacentPlaceholders {
                template: template.to_string(),
            });
        }
        Ok(TagFormat {
            template: template.to_string(),
            segments,
        })
    }

    /// The template as written.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether tags carry a `{component}` part.
    pub fn has_component(&self) -> bool {
        self.segments.contains(&Segment::Component)
    }

    /// A `git describe --match` / `git tag -l` glob that selects candidate
    /// tags (`v{version}` gives `v*`); [`TagFormat::parse_tag`] still has the
    /// last word.
    pub fn glob(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.as_str(),
                Segment::Component | Segment::Version => "*",
            })
            .collect()
    }

    /// Reads a tag name; `None` when it does not follow this format.
    pub fn parse_tag(&self, tag: &str) -> Option<ReleaseTag> {
        let captures = match_segments(&self.segments, tag)?;
        Some(ReleaseTag {
            name: tag.to_string(),
            component: captures.component,
            version: captures.version?,
        })
    }

    /// Builds the tag name for `version`; `component` fills `{component}`
    /// and is ignored by formats without one.
    pub fn format(
        &self,
        version: &Version,
        component: Option<&str>,
    ) -> Result<String, TagFormatError> {
        let mut name = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => name.push_str(text),
                Segment::Version => name.push_str(&version.to_string()),
                Segment::Component => match component {
                    Some(component) => name.push_str(component),
                    None => {
                        return Err(TagFormatError::MissingComponent {
                            template: self.template.clone(),
                        });
                    }
                },
            }
        }
        Ok(name)
    }

    /// The tags among `names` that follow this format, oldest version
    /// first (semver order; ties by name so the result is stable).
    pub fn releases<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<ReleaseTag> {
        let mut tags: Vec<ReleaseTag> = names
            .into_iter()
            .filter_map(|name| self.parse_tag(name))
            .collect();
        tags.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
        tags
    }
}

fn split_template(template: &str) -> Result<Vec<Segment>, TagFormatError> {
    let mut segments = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            segments.push(Segment::Literal(rest[..open].to_string()));
        }
        let close = rest[open..].find('}').map(|i| open + i).ok_or_else(|| {
            TagFormatError::UnknownPlaceholder {
                template: template.to_string(),
                placeholder: rest[open..].to_string(),
            }
        })?;
        segments.push(match &rest[open..=close] {
            "{version}" => Segment::Version,
            "{component}" => Segment::Component,
            other => {
                return Err(TagFormatError::UnknownPlaceholder {
                    template: template.to_string(),
                    placeholder: other.to_string(),
                });
            }
        });
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_string()));
    }
    Ok(segments)
}

/// What the placeholders matched.
#[derive(Default)]
struct Captures {
    component: Option<String>,
    version: Option<Version>,
}

/// Matches `text` against the segments, backtracking over where each
/// placeholder ends: a component may itself contain `-v` (`my-valve-v1.0.0`).
fn match_segments(segments: &[Segment], text: &str) -> Option<Captures> {
    let Some((first, rest)) = segments.split_first() else {
        return text.is_empty().then(Captures::default);
    };
    match first {
        Segment::Literal(literal) => match_segments(rest, text.strip_prefix(literal.as_str())?),
        Segment::Component => split_points(text).find_map(|end| {
            let mut captures = match_segments(rest, &text[end..])?;
            captures.component = Some(text[..end].to_string());
            Some(captures)
        }),
        Segment::Version => split_points(text).find_map(|end| {
            let version = Version::parse(&text[..end]).ok()?;
            let mut captures = match_segments(rest, &text[end..])?;
            captures.version = Some(version);
            Some(captures)
        }),
    }
}

/// Where a non-empty placeholder may end, longest first.
fn split_points(text: &str) -> impl Iterator<Item = usize> + '_ {
    (1..=text.len())
        .rev()
        .filter(|&end| text.is_char_boundary(end))
}
