//! rewind-core tests: release. Semver order, tag formats, finding a tag
//! from what a person types, versions in build logs, changelog sections.

use std::io::{self, Read};

use rewind_core::release::{
    LookupError, TagFormat, TagFormatError, Version, find_tag, find_version, nearest,
    sections_between, strip_ansi,
};

fn v(text: &str) -> Version {
    Version::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

// ---- Version ----

#[test]
fn versions_sort_by_semver_precedence_not_by_string() {
    let expected = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0-rc.1",
        "2.0.0",
        "9.0.0",
        "10.0.0",
    ];
    let mut shuffled: Vec<Version> = expected.iter().rev().map(|s| v(s)).collect();
    shuffled.swap(0, 7);
    shuffled.swap(3, 11);
    shuffled.sort();
    let sorted: Vec<String> = shuffled.iter().map(ToString::to_string).collect();
    assert_eq!(sorted, expected);
}

#[test]
fn build_metadata_is_kept_but_ignored_for_precedence() {
    let a = v("1.2.3+build.5");
    assert_eq!(a.to_string(), "1.2.3+build.5");
    assert_eq!(a, v("1.2.3+other"));
    assert_eq!(a, v("1.2.3"));
    assert!(v("1.2.3-rc.1+b") < v("1.2.3"));
}

#[test]
fn versions_round_trip_through_display() {
    for text in [
        "0.0.0",
        "4.1.1",
        "2.0.0-rc.1",
        "1.0.0-x-y.7.z+exp.sha.5114f85",
    ] {
        assert_eq!(v(text).to_string(), text);
    }
    assert!(v("2.0.0-rc.1").is_prerelease());
    assert!(!v("2.0.0").is_prerelease());
}

#[test]
fn malformed_versions_are_rejected_with_the_reason() {
    for bad in [
        "",
        "1",
        "1.0",
        "1.0.0.0",
        "v1.0.0",
        "01.0.0",
        "1.0.0-",
        "1.0.0-01",
        "1.0.0+",
        "1.0.0-a..b",
        "1.0.0-a_b",
        "a.b.c",
        "1.0.x",
        "99999999999999999999.0.0",
    ] {
        let err = Version::parse(bad).expect_err(bad);
        assert_eq!(err.input, bad);
        assert!(
            err.to_string().contains("is not a semantic version"),
            "{err}"
        );
    }
    let err = Version::parse("01.0.0").unwrap_err();
    assert!(err.reason.contains("leading zero"), "{}", err.reason);
}

// ---- TagFormat ----

const TAGS: [&str; 9] = [
    "v9.0.0",
    "v10.0.0",
    "v10.0.0-rc.1",
    "v1.2.3",
    "2.0.0",
    "etl-v1.0.0",
    "etl-v1.1.0",
    "web-app-v1.1.0",
    "not-a-release",
];

fn names(tags: &[rewind_core::release::ReleaseTag]) -> Vec<&str> {
    tags.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn default_format_lists_v_tags_in_semver_order() {
    let format = TagFormat::default();
    assert_eq!(format.template(), "v{version}");
    let tags = format.releases(TAGS);
    assert_eq!(
        names(&tags),
        ["v1.2.3", "v9.0.0", "v10.0.0-rc.1", "v10.0.0"]
    );
    assert!(tags.iter().all(|t| t.component.is_none()));
    assert_eq!(tags[3].version, v("10.0.0"));
    assert!(tags[3].version > tags[1].version);
}

#[test]
fn bare_version_format_only_takes_versions() {
    let format = TagFormat::parse("{version}").unwrap();
    assert_eq!(names(&format.releases(TAGS)), ["2.0.0"]);
    assert_eq!(format.glob(), "*");
}

#[test]
fn component_format_captures_the_component() {
    let format = TagFormat::parse("{component}-v{version}").unwrap();
    let tags = format.releases(TAGS);
    assert_eq!(names(&tags), ["etl-v1.0.0", "etl-v1.1.0", "web-app-v1.1.0"]);
    assert_eq!(tags[2].component.as_deref(), Some("web-app"));
    assert_eq!(tags[2].version, v("1.1.0"));
    // A component may itself look like a version marker.
    let tricky = format.parse_tag("my-valve-v2.0.0").unwrap();
    assert_eq!(tricky.component.as_deref(), Some("my-valve"));
    assert_eq!(format.glob(), "*-v*");
}

#[test]
fn fixed_component_format_and_a_format_matching_nothing() {
    let etl = TagFormat::parse("etl-v{version}").unwrap();
    assert_eq!(names(&etl.releases(TAGS)), ["etl-v1.0.0", "etl-v1.1.0"]);
    assert_eq!(etl.glob(), "etl-v*");
    let none = TagFormat::parse("release-{version}").unwrap();
    assert!(none.releases(TAGS).is_empty());
    assert_eq!(none.parse_tag("release-1.0"), None);
}

#[test]
fn format_builds_tag_names() {
    let version = v("4.1.1");
    let default = TagFormat::default();
    assert_eq!(default.format(&version, None).unwrap(), "v4.1.1");
    assert_eq!(default.format(&version, Some("ignored")).unwrap(), "v4.1.1");
    let mono = TagFormat::parse("{component}-v{version}").unwrap();
    assert_eq!(mono.format(&version, Some("etl")).unwrap(), "etl-v4.1.1");
    assert!(matches!(
        mono.format(&version, None),
        Err(TagFormatError::MissingComponent { .. })
    ));
    let tag = mono.format(&v("2.0.0-rc.1"), Some("api")).unwrap();
    assert_eq!(mono.parse_tag(&tag).unwrap().version, v("2.0.0-rc.1"));
}

#[test]
fn invalid_templates_say_what_is_wrong() {
    let cases = [
        ("v", "exactly once"),
        ("{version}-{version}", "exactly once"),
        ("{component}-{component}-{version}", "at most once"),
        ("{name}-{version}", "unknown placeholder `{name}`"),
        ("v{version", "unknown placeholder"),
        ("{component}{version}", "side by side"),
    ];
    for (template, expected) in cases {
        let err = TagFormat::parse(template).expect_err(template).to_string();
        assert!(err.contains(expected), "{template}: {err}");
    }
}

// ---- finding a tag from user input ----

#[test]
fn find_tag_accepts_bare_prefixed_and_full_names() {
    let format = TagFormat::default();
    let tags = format.releases(["v3.9.0", "v4.0.0", "v4.1.1"]);
    for input in ["4.0.0", "v4.0.0", " v4.0.0 "] {
        assert_eq!(
            find_tag(&format, &tags, input, None).unwrap().name,
            "v4.0.0"
        );
    }
    let mono = TagFormat::parse("{component}-v{version}").unwrap();
    let tags = mono.releases(["etl-v4.0.0", "api-v4.0.0", "api-v4.1.0"]);
    let found = find_tag(&mono, &tags, "etl-v4.0.0", None).unwrap();
    assert_eq!(found.component.as_deref(), Some("etl"));
    assert_eq!(
        find_tag(&mono, &tags, "v4.0.0", Some("api")).unwrap().name,
        "api-v4.0.0"
    );
    match find_tag(&mono, &tags, "4.0.0", None) {
        Err(LookupError::Ambiguous { candidates, .. }) => {
            assert_eq!(candidates, ["api-v4.0.0", "etl-v4.0.0"]);
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
}

#[test]
fn missing_tag_suggests_the_nearest_versions() {
    let format = TagFormat::default();
    let tags = format.releases(["v2.9.0", "v3.9.9", "v4.0.1", "v4.1.0", "v4.2.0", "v5.0.0"]);
    let err = find_tag(&format, &tags, "4.0.0", None).unwrap_err();
    assert_eq!(
        err,
        LookupError::NotFound {
            input: "4.0.0".into(),
            nearest: vec!["v4.0.1".into(), "v4.1.0".into(), "v4.2.0".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "no release tag for `4.0.0` (closest: v4.0.1, v4.1.0, v4.2.0)"
    );
    let err = find_tag(&format, &tags, "latest", None).unwrap_err();
    assert!(matches!(err, LookupError::NotAVersion { .. }), "{err}");
    let none = find_tag(&format, &[], "1.0.0", None).unwrap_err();
    assert_eq!(none.to_string(), "no release tag for `1.0.0`");
}

#[test]
fn nearest_prefers_the_same_line_and_returns_version_order() {
    let tags = TagFormat::default().releases(["v1.0.0", "v3.0.0", "v3.1.4", "v3.2.0", "v7.0.0"]);
    let near: Vec<&str> = nearest(&tags, &v("3.1.0"))
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(near, ["v3.0.0", "v3.1.4", "v3.2.0"]);
    let near: Vec<&str> = nearest(&tags, &v("6.0.0"))
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(near, ["v3.1.4", "v3.2.0", "v7.0.0"]);
    let near: Vec<&str> = nearest(&tags, &v("9.0.0"))
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(near, ["v3.1.4", "v3.2.0", "v7.0.0"]);
    let two = TagFormat::default().releases(["v1.0.0", "v2.0.0"]);
    assert_eq!(nearest(&two, &v("1.5.0")).len(), 2);
}

// ---- build logs ----

#[test]
fn build_log_version_is_found_through_colours_and_indentation() {
    let log = "\u{1b}[1;36m-----> Building app\u{1b}[0m\n\
               \u{1b}]0;title\u{7}       \u{1b}[2m> \u{1b}[0mshop@4.1.1 prepare\n\
               > shop@9.9.9 build\n";
    assert_eq!(
        find_version(log.as_bytes(), "shop").unwrap(),
        Some(v("4.1.1"))
    );
}

#[test]
fn build_log_ignores_other_packages_and_reads_scoped_names() {
    let log = "> husky@8.0.3 install\n\
               > @acme/shop-ui@2.0.0 prepare\r\n\
               > @acme/shop@3.0.0-rc.2 prepare\n";
    assert_eq!(
        find_version(log.as_bytes(), "@acme/shop").unwrap(),
        Some(v("3.0.0-rc.2"))
    );
    assert_eq!(
        find_version(log.as_bytes(), "@acme/shop-ui").unwrap(),
        Some(v("2.0.0"))
    );
    assert_eq!(find_version(log.as_bytes(), "shop").unwrap(), None);
}

#[test]
fn build_log_without_a_lifecycle_line_has_no_version() {
    let log = "-----> Installing dependencies\n\
               shop@4.1.1 is installed\n\
               > shop@4.1.1\n\
               > shop@not-a-version prepare\n\
               > shop@4.1.1";
    assert_eq!(find_version(log.as_bytes(), "shop").unwrap(), None);
    assert_eq!(find_version(&b""[..], "shop").unwrap(), None);
    // The last line needs no newline.
    let last = "noise\n> shop@1.0.0 prepare";
    assert_eq!(
        find_version(last.as_bytes(), "shop").unwrap(),
        Some(v("1.0.0"))
    );
}

#[test]
fn strip_ansi_removes_csi_osc_and_lone_escapes() {
    let text = "\u{1b}[31;1mred\u{1b}[0m \u{1b}]8;;https://x\u{1b}\\link\u{1b}]8;;\u{1b}\\ \
                \u{1b}(Bcharset \u{1b}Pdcs\u{1b}\\bell\u{7}\rback\u{8}\tend\n\u{9b}2Jc1\u{1b}";
    assert_eq!(strip_ansi(text), "red link charset bellback\tend\nc1");
    assert_eq!(strip_ansi("plain > shop@1.0.0"), "plain > shop@1.0.0");
    assert_eq!(strip_ansi("\u{1b}]0;unterminated title"), "");
}

/// A reader that makes up a large log from parts, each a pattern repeated
/// up to a length. It records how many bytes were read and the largest
/// buffer it was asked to fill.
struct GeneratedLog {
    parts: Vec<(&'static [u8], u64)>,
    part: usize,
    part_offset: u64,
    bytes_read: u64,
    largest_read: usize,
}

impl GeneratedLog {
    fn new(parts: Vec<(&'static [u8], u64)>) -> Self {
        GeneratedLog {
            parts,
            part: 0,
            part_offset: 0,
            bytes_read: 0,
            largest_read: 0,
        }
    }

    fn total(&self) -> u64 {
        self.parts.iter().map(|(_, len)| len).sum()
    }
}

impl Read for GeneratedLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.largest_read = self.largest_read.max(buf.len());
        let Some(&(pattern, len)) = self.parts.get(self.part) else {
            return Ok(0);
        };
        let n = buf.len().min((len - self.part_offset) as usize);
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            *byte = pattern[(self.part_offset as usize + i) % pattern.len()];
        }
        self.part_offset += n as u64;
        if self.part_offset == len {
            self.part += 1;
            self.part_offset = 0;
        }
        self.bytes_read += n as u64;
        Ok(n)
    }
}

const MB: u64 = 1024 * 1024;

#[test]
fn a_50_mb_log_is_streamed_and_reading_stops_at_the_match() {
    let filler: &[u8] = b"npm WARN deprecated left-pad@1.0.0: use String.prototype.padStart\n";
    let lines = |bytes: u64| bytes / filler.len() as u64 * filler.len() as u64;
    let tail: &[u8] = b"> shop@4.1.1 prepare\n> shop@9.9.9 postinstall\n";
    let mut log = GeneratedLog::new(vec![
        (filler, lines(50 * MB)),
        (tail, tail.len() as u64),
        (filler, lines(10 * MB)),
    ]);
    assert_eq!(find_version(&mut log, "shop").unwrap(), Some(v("4.1.1")));
    assert!(log.bytes_read >= lines(50 * MB));
    assert!(
        log.bytes_read < log.total() - 9 * MB,
        "kept reading after the match"
    );
}

#[test]
fn a_100_mb_line_without_newline_is_skipped_in_bounded_reads() {
    let mut log = GeneratedLog::new(vec![(b"> shop@1.0.0 prepare ", 100 * MB)]);
    assert_eq!(find_version(&mut log, "shop").unwrap(), None);
    assert_eq!(log.bytes_read, 100 * MB, "the whole log was read");
    assert!(
        log.largest_read <= MB as usize,
        "asked for {} bytes at once",
        log.largest_read
    );
    // After an overlong line, the next line is read normally again.
    let next: &[u8] = b"\n> shop@2.0.0 prepare\n";
    let mut log = GeneratedLog::new(vec![(b"x", 20 * MB), (next, next.len() as u64)]);
    assert_eq!(find_version(&mut log, "shop").unwrap(), Some(v("2.0.0")));
}

// ---- changelog ----

const CHANGELOG: &str = "# Changelog

## [2.0.0](https://github.com/acme/shop/compare/v1.2.1...v2.0.0) (2024-04-02)


### ⚠ BREAKING CHANGES

* drop the v1 API

### Features

* new checkout ([#42](https://github.com/acme/shop/issues/42)) ([abc1234](https://github.com/acme/shop/commit/abc1234))

### [1.2.1](https://github.com/acme/shop/compare/v1.2.0...v1.2.1) (2024-03-15)

### Bug Fixes

* rounding in totals

## 1.2.0 (2024-03-01)

* first tagged release

## [1.1.0](https://github.com/acme/shop/compare/v1.0.0...v1.1.0)

* no date on this one
";

#[test]
fn changelog_sections_between_two_versions() {
    let sections = sections_between(CHANGELOG, &v("1.2.0"), &v("2.0.0"));
    let versions: Vec<String> = sections.iter().map(|s| s.version.to_string()).collect();
    assert_eq!(versions, ["2.0.0", "1.2.1"]);
    assert_eq!(sections[0].date.unwrap().to_string(), "2024-04-02");
    assert_eq!(sections[0].body.first().unwrap(), "### ⚠ BREAKING CHANGES");
    assert!(
        sections[0]
            .body
            .last()
            .unwrap()
            .starts_with("* new checkout")
    );
    assert_eq!(
        sections[1].body,
        ["### Bug Fixes", "", "* rounding in totals"]
    );
}

#[test]
fn changelog_range_works_either_way_and_reads_plain_headings() {
    let forward = sections_between(CHANGELOG, &v("1.0.0"), &v("1.2.0"));
    let backward = sections_between(CHANGELOG, &v("1.2.0"), &v("1.0.0"));
    assert_eq!(forward, backward);
    assert_eq!(forward.len(), 2);
    assert_eq!(forward[0].version, v("1.2.0"));
    assert_eq!(forward[0].date.unwrap().to_string(), "2024-03-01");
    assert_eq!(forward[0].body, ["* first tagged release"]);
    assert_eq!(forward[1].version, v("1.1.0"));
    assert_eq!(forward[1].date, None);
    assert!(sections_between(CHANGELOG, &v("2.0.0"), &v("2.0.0")).is_empty());
    assert!(sections_between("no headings at all", &v("0.0.0"), &v("9.0.0")).is_empty());
}
