//! The table itself, by kind of input: `config/`, `tree/`, `cli/`,
//! `refs/`, `api/`, `journal/`, `seed/`. Each case names what it gets
//! wrong; its words are what the person must read to fix it.

use serde_json::json;

use super::{BASE_TOML, Case, World, closed, opened};
use crate::support::git;

pub fn all() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(config());
    all.extend(tree());
    all.extend(cli());
    all.extend(refs());
    all.extend(api());
    all.extend(journal());
    all.extend(seed());
    all
}

const DOCS: &str = "docs/configuration.md";

/// `rewind status` on a rewind.toml holding `toml`; exit 2, the words.
fn toml_case(name: &str, toml: impl Into<Vec<u8>>, words: &[&str]) -> Case {
    let mut words = words.to_vec();
    words.push("rewind.toml");
    Case::new(&format!("config/{name}"), &["status"], 2, &words).toml(toml)
}

/// An app with `extra` lines after its name.
fn app(extra: &str) -> String {
    format!("[[apps]]\nname = \"shop\"\n{extra}\n")
}

fn config() -> Vec<Case> {
    let mut cases = vec![
        toml_case("empty", "", &["apps: missing", DOCS]),
        toml_case(
            "only a comment",
            "# nothing yet\n",
            &["apps: missing", DOCS],
        ),
        toml_case(
            "not UTF-8",
            b"[[apps]]\nname = \"sh\xffop\"\n".to_vec(),
            &["UTF-8"],
        ),
        toml_case(
            "latin-1 accents",
            b"# caf\xe9\n[[apps]]\nname = \"shop\"\n".to_vec(),
            &["UTF-8"],
        ),
        toml_case("UTF-16", b"\xff\xfe[\x00[\x00".to_vec(), &["UTF-8"]),
        toml_case(
            "NUL bytes",
            b"[[apps]]\nname = \"shop\"\n\0\0\0".to_vec(),
            &["rewind.toml:3", "invalid TOML"],
        ),
        toml_case(
            "unclosed array of tables",
            "[[apps]\nname = \"shop\"\n",
            &["rewind.toml:1", "invalid TOML", DOCS],
        ),
        toml_case(
            "value missing",
            "[[apps]]\nname =\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "unterminated string",
            "[[apps]]\nname = \"shop\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "key missing",
            "[[apps]]\n= \"shop\"\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "duplicate key",
            "[[apps]]\nname = \"shop\"\nname = \"shop\"\n",
            &["rewind.toml:3", "invalid TOML"],
        ),
        toml_case(
            "table redefined",
            "[[apps]]\nname = \"shop\"\n[apps]\nname = \"x\"\n",
            &["rewind.toml:3", "invalid TOML"],
        ),
        toml_case(
            "two values on a line",
            "[[apps]]\nname = \"shop\" \"x\"\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "unclosed inline table",
            "[[apps]]\nname = \"shop\"\nhealth_check = { url = \"http://x\"\n",
            &["rewind.toml:3", "invalid TOML"],
        ),
        toml_case(
            "bad escape",
            "[[apps]]\nname = \"sh\\qop\"\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "bare word value",
            "[[apps]]\nname = shop\n",
            &["rewind.toml:2", "invalid TOML"],
        ),
        toml_case(
            "apps of the wrong type",
            "apps = 3\n",
            &["rewind.toml:1", "apps", "array of tables", DOCS],
        ),
        toml_case(
            "apps empty",
            "apps = []\n",
            &["rewind.toml:1", "no app configured"],
        ),
        toml_case(
            "app without a name",
            "[[apps]]\nregion = \"osc-fr1\"\n",
            &["name", "missing"],
        ),
        toml_case(
            "duplicate apps",
            format!("{}{}", app(""), app("")),
            &["rewind.toml:5", "duplicate app name", "line 2"],
        ),
        toml_case(
            "duplicate apps far apart",
            format!("{}{}{}", app(""), app("").replace("shop", "other"), app("")),
            &["rewind.toml:8", "duplicate app name"],
        ),
        toml_case(
            "unknown top-level key",
            format!("colour = \"red\"\n{}", app("")),
            &["rewind.toml:1", "colour", "unknown key"],
        ),
        toml_case(
            "unknown app key",
            app("retries = 3"),
            &["rewind.toml:3", "apps[0].retries", "unknown key"],
        ),
        toml_case(
            "unknown database key",
            app("[apps.database]\naddon = \"x\"\npassword = \"p\""),
            &["rewind.toml:5", "apps[0].database.password"],
        ),
        toml_case(
            "unknown health_check key",
            app("[apps.health_check]\nurl = \"http://x\"\ntimeout = 3"),
            &[
                "rewind.toml:5",
                "apps[0].health_check.timeout",
                "unknown key",
            ],
        ),
        toml_case(
            "unknown feature flag key",
            app("[[apps.feature_flags]]\nname = \"F\"\noff_value = \"0\"\non_value = \"1\""),
            &["rewind.toml:6", "on_value", "unknown key"],
        ),
        toml_case(
            "unknown notify key",
            format!("[notify]\nchannel = \"#ops\"\n{}", app("")),
            &["rewind.toml:2", "notify.channel", "unknown key"],
        ),
        toml_case(
            "a token at the top",
            format!("token = \"tk-us-123\"\n{}", app("")),
            &[
                "rewind.toml:1",
                "must not be stored in rewind.toml",
                "SCALINGO_API_TOKEN",
            ],
        ),
        toml_case(
            "a token in an app",
            app("api_token = \"tk-us-123\""),
            &["rewind.toml:3", "must not be stored", "SCALINGO_API_TOKEN"],
        ),
        toml_case(
            "a token in notify",
            format!("[notify]\nscalingo_token = \"tk\"\n{}", app("")),
            &["rewind.toml:2", "must not be stored"],
        ),
        toml_case(
            "a token in the database",
            app("[apps.database]\naddon = \"x\"\nSCALINGO_API_TOKEN = \"tk\""),
            &["rewind.toml:5", "must not be stored"],
        ),
        toml_case(
            "tree escaping the repository",
            format!("tree = \"../../nowhere/tree.toml\"\n{}", app("")),
            &["rewind.toml:1", "tree", "no file at"],
        ),
        Case::new(
            "config/tree that is a system file",
            &["guide", "--answer", "mep=ok"],
            2,
            &["/etc/hostname"],
        )
        .toml(format!("tree = \"/etc/hostname\"\n{}", app("")))
        .reports_on_stdout(),
        toml_case(
            "tree empty",
            format!("tree = \"\"\n{}", app("")),
            &["rewind.toml:1", "tree", "empty"],
        ),
        toml_case(
            "tree that is a folder",
            format!("tree = \".\"\n{}", app("")),
            &["rewind.toml:1", "tree"],
        ),
        toml_case(
            "migrations escaping the repository",
            app("[apps.database]\naddon = \"x\"\nmigrations = [\"../../etc\"]"),
            &[
                "rewind.toml:5",
                "migrations[0]",
                "relative to the repository root",
            ],
        ),
        toml_case(
            "migrations absolute",
            app("[apps.database]\naddon = \"x\"\nmigrations = [\"/etc\"]"),
            &[
                "rewind.toml:5",
                "migrations[0]",
                "relative to the repository root",
            ],
        ),
        toml_case(
            "migrations climbing back",
            app("[apps.database]\naddon = \"x\"\nmigrations = [\"db/../../x\"]"),
            &["rewind.toml:5", "migrations[0]"],
        ),
        toml_case(
            "tag format without version",
            app("tag_format = \"v\""),
            &["rewind.toml:3", "tag_format", "{version} exactly once"],
        ),
        toml_case(
            "tag format with two versions",
            app("tag_format = \"v{version}-{version}\""),
            &["rewind.toml:3", "tag_format", "{version} exactly once"],
        ),
        toml_case(
            "tag format empty",
            app("tag_format = \"\""),
            &["rewind.toml:3", "tag_format"],
        ),
        toml_case(
            "tag format misspelt",
            app("tag_format = \"v{versoin}\""),
            &["rewind.toml:3", "tag_format"],
        ),
        toml_case(
            "tag format with component and none given",
            app("tag_format = \"{component}-v{version}\""),
            &["rewind.toml:3", "component"],
        ),
        toml_case(
            "component without its place",
            app("component = \"etl\""),
            &["component"],
        ),
        toml_case(
            "tag format that is an option",
            app("tag_format = \"--upload-pack=touch x{version}\""),
            &["rewind.toml:3", "tag_format"],
        ),
        toml_case(
            "tag format with a space",
            app("tag_format = \"v {version}\""),
            &["rewind.toml:3", "tag_format"],
        ),
        toml_case(
            "name with capitals",
            "[[apps]]\nname = \"Shop\"\n",
            &["rewind.toml:2", "apps[0].name"],
        ),
        toml_case(
            "name climbing up",
            "[[apps]]\nname = \"../../etc\"\n",
            &["rewind.toml:2", "apps[0].name"],
        ),
        toml_case(
            "name that is an option",
            "[[apps]]\nname = \"-rf\"\n",
            &["rewind.toml:2", "apps[0].name"],
        ),
        toml_case(
            "name empty",
            "[[apps]]\nname = \"\"\n",
            &["rewind.toml:2", "apps[0].name"],
        ),
        toml_case(
            "name with an escape",
            "[[apps]]\nname = \"sh\\u001b[2Jop\"\n",
            &["rewind.toml:2", "apps[0].name", "\\u{1b}"],
        ),
        toml_case(
            "name of 1 MB",
            format!("[[apps]]\nname = \"{}\"\n", "a".repeat(1 << 20)),
            &["rewind.toml:2", "apps[0].name"],
        ),
        toml_case(
            "platform unknown",
            app("platform = \"heroku\""),
            &["rewind.toml:3", "platform", "scalingo"],
        ),
        toml_case(
            "region unknown",
            app("region = \"../../x\""),
            &["rewind.toml:3", "region"],
        ),
        toml_case(
            "remote that is an option",
            app("remote = \"--upload-pack=touch /tmp/pwned\""),
            &["rewind.toml:3", "remote"],
        ),
        toml_case(
            "remote empty",
            app("remote = \"\""),
            &["rewind.toml:3", "remote"],
        ),
        toml_case(
            "package of 1 MB",
            app(&format!("package = \"{}\"", "p".repeat(1 << 20))),
            &["rewind.toml:3", "package"],
        ),
        toml_case(
            "webhook that is not http",
            app("webhook_url = \"file:///etc/passwd\""),
            &["rewind.toml:3", "webhook_url"],
        ),
        toml_case(
            "webhook that is not a URL",
            app("webhook_url = \"hooks.slack.com\""),
            &["rewind.toml:3", "webhook_url"],
        ),
        toml_case(
            "webhook of 1 MB",
            app(&format!(
                "webhook_url = \"https://h/{}\"",
                "w".repeat(1 << 20)
            )),
            &["rewind.toml:3", "webhook_url"],
        ),
        toml_case(
            "notify webhook not a URL",
            format!("[notify]\nwebhook_url = \"nope\"\n{}", app("")),
            &["rewind.toml:2", "notify.webhook_url"],
        ),
        toml_case(
            "database without addon",
            app("[apps.database]\nmargin = \"1m\""),
            &["rewind.toml:3", "addon", "missing"],
        ),
        toml_case(
            "addon empty",
            app("[apps.database]\naddon = \"\""),
            &["rewind.toml:4", "addon"],
        ),
        Case::new(
            "config/margin past any date",
            &["db", "restore", "--before-deploy", "--dry-run"],
            2,
            &["rewind.toml:5", "apps[0].database.margin", "too large"],
        )
        .toml(app(
            "[apps.database]\naddon = \"scalingo-postgresql\"\nmargin = \"4294967295h\"",
        )),
        toml_case(
            "margin of a billion years",
            app("[apps.database]\naddon = \"x\"\nmargin = \"99999999999999999999s\""),
            &["rewind.toml:5", "margin"],
        ),
        toml_case(
            "margin negative",
            app("[apps.database]\naddon = \"x\"\nmargin = \"-1m\""),
            &["rewind.toml:5", "margin"],
        ),
        toml_case(
            "margin without a unit",
            app("[apps.database]\naddon = \"x\"\nmargin = \"60\""),
            &["rewind.toml:5", "margin"],
        ),
        toml_case(
            "margin of 1 MB",
            app(&format!(
                "[apps.database]\naddon = \"x\"\nmargin = \"{}m\"",
                "9".repeat(1 << 20)
            )),
            &["rewind.toml:5", "margin"],
        ),
        toml_case(
            "rollback order unknown",
            app("[apps.database]\naddon = \"x\"\nrollback_order = \"sideways\""),
            &["rewind.toml:5", "rollback_order", "before-deploy"],
        ),
        toml_case(
            "health check without url",
            app("[apps.health_check]\nretries = 3"),
            &["rewind.toml:3", "url", "missing"],
        ),
        toml_case(
            "health check url is a file",
            app("[apps.health_check]\nurl = \"file:///etc/passwd\""),
            &["rewind.toml:4", "health_check.url"],
        ),
        toml_case(
            "retries huge",
            app("[apps.health_check]\nurl = \"http://x\"\nretries = 9223372036854775807"),
            &["rewind.toml:5", "retries", "1 to 100"],
        ),
        toml_case(
            "retries zero",
            app("[apps.health_check]\nurl = \"http://x\"\nretries = 0"),
            &["rewind.toml:5", "retries"],
        ),
        toml_case(
            "retries negative",
            app("[apps.health_check]\nurl = \"http://x\"\nretries = -3"),
            &["rewind.toml:5", "retries"],
        ),
        toml_case(
            "retries a float",
            app("[apps.health_check]\nurl = \"http://x\"\nretries = 1e300"),
            &["rewind.toml:5", "retries"],
        ),
        toml_case(
            "retries past u64",
            app("[apps.health_check]\nurl = \"http://x\"\nretries = 99999999999999999999"),
            &["rewind.toml:5", "retries", "1 to 100"],
        ),
        toml_case(
            "interval zero",
            app("[apps.health_check]\nurl = \"http://x\"\ninterval = \"0s\""),
            &["rewind.toml:5", "interval"],
        ),
        toml_case(
            "interval of centuries",
            app("[apps.health_check]\nurl = \"http://x\"\ninterval = \"1000000000000h\""),
            &["rewind.toml:5", "interval"],
        ),
        toml_case(
            "interval of a year",
            app("[apps.health_check]\nurl = \"http://x\"\ninterval = \"8760h\""),
            &["rewind.toml:5", "interval", "too large"],
        ),
        toml_case(
            "margin of two months",
            app("[apps.database]\naddon = \"x\"\nmargin = \"1440h\""),
            &["rewind.toml:5", "margin", "30 days"],
        ),
        toml_case(
            "expect status out of range",
            app("[apps.health_check]\nurl = \"http://x\"\nexpect_status = 70000"),
            &["rewind.toml:5", "expect_status", "100 to 599"],
        ),
        toml_case(
            "flag without name",
            app("[[apps.feature_flags]]\noff_value = \"0\""),
            &["rewind.toml:3", "name", "missing"],
        ),
        toml_case(
            "flag without off value",
            app("[[apps.feature_flags]]\nname = \"FEATURE_X\""),
            &["rewind.toml:3", "off_value", "missing"],
        ),
        toml_case(
            "flag name with a space",
            app("[[apps.feature_flags]]\nname = \"FEATURE X\"\noff_value = \"0\""),
            &["rewind.toml:4", "feature_flags[0].name"],
        ),
        toml_case(
            "flag name with an equals sign",
            app("[[apps.feature_flags]]\nname = \"A=B\"\noff_value = \"0\""),
            &["rewind.toml:4", "feature_flags[0].name"],
        ),
        toml_case(
            "flag off value a table",
            app("[[apps.feature_flags]]\nname = \"F\"\noff_value = { x = 1 }"),
            &["rewind.toml:5", "off_value"],
        ),
        toml_case(
            "flag declared twice",
            app(
                "[[apps.feature_flags]]\nname = \"F\"\noff_value = \"0\"\n[[apps.feature_flags]]\nname = \"F\"\noff_value = \"0\"",
            ),
            &["feature_flags[1].name"],
        ),
        toml_case(
            "description of 1 MB",
            app(&format!(
                "[[apps.feature_flags]]\nname = \"F\"\noff_value = \"0\"\ndescription = \"{}\"",
                "d".repeat(1 << 20)
            )),
            &["rewind.toml:6", "description"],
        ),
    ];
    // A value of the wrong type for every key.
    let wrong_types: [(&str, &str, &str, &str); 25] = [
        (
            "tree",
            "tree = 3\n[[apps]]\nname = \"shop\"\n",
            "rewind.toml:1",
            "tree",
        ),
        (
            "notify",
            "notify = 3\n[[apps]]\nname = \"shop\"\n",
            "rewind.toml:1",
            "notify",
        ),
        (
            "notify.webhook_url",
            "[notify]\nwebhook_url = 3\n[[apps]]\nname = \"shop\"\n",
            "rewind.toml:2",
            "notify.webhook_url",
        ),
        (
            "name",
            "[[apps]]\nname = 3\n",
            "rewind.toml:2",
            "apps[0].name",
        ),
        (
            "platform",
            "[[apps]]\nname = \"shop\"\nplatform = true\n",
            "rewind.toml:3",
            "apps[0].platform",
        ),
        (
            "region",
            "[[apps]]\nname = \"shop\"\nregion = [\"osc-fr1\"]\n",
            "rewind.toml:3",
            "apps[0].region",
        ),
        (
            "remote",
            "[[apps]]\nname = \"shop\"\nremote = 1\n",
            "rewind.toml:3",
            "apps[0].remote",
        ),
        (
            "tag_format",
            "[[apps]]\nname = \"shop\"\ntag_format = 1.5\n",
            "rewind.toml:3",
            "apps[0].tag_format",
        ),
        (
            "component",
            "[[apps]]\nname = \"shop\"\ncomponent = {}\n",
            "rewind.toml:3",
            "apps[0].component",
        ),
        (
            "package",
            "[[apps]]\nname = \"shop\"\npackage = 1979-05-27\n",
            "rewind.toml:3",
            "apps[0].package",
        ),
        (
            "webhook_url",
            "[[apps]]\nname = \"shop\"\nwebhook_url = false\n",
            "rewind.toml:3",
            "apps[0].webhook_url",
        ),
        (
            "database",
            "[[apps]]\nname = \"shop\"\ndatabase = \"postgres\"\n",
            "rewind.toml:3",
            "apps[0].database",
        ),
        (
            "health_check",
            "[[apps]]\nname = \"shop\"\nhealth_check = \"/health\"\n",
            "rewind.toml:3",
            "apps[0].health_check",
        ),
        (
            "feature_flags",
            "[[apps]]\nname = \"shop\"\nfeature_flags = \"F\"\n",
            "rewind.toml:3",
            "apps[0].feature_flags",
        ),
        (
            "database.addon",
            "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = 5\n",
            "rewind.toml:4",
            "apps[0].database.addon",
        ),
        (
            "database.margin",
            "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"x\"\nmargin = 60\n",
            "rewind.toml:5",
            "apps[0].database.margin",
        ),
        (
            "database.migrations",
            "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"x\"\nmigrations = \"db\"\n",
            "rewind.toml:5",
            "apps[0].database.migrations",
        ),
        (
            "database.migrations item",
            "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"x\"\nmigrations = [3]\n",
            "rewind.toml:5",
            "migrations[0]",
        ),
        (
            "database.rollback_order",
            "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"x\"\nrollback_order = 1\n",
            "rewind.toml:5",
            "rollback_order",
        ),
        (
            "health_check.url",
            "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = 80\n",
            "rewind.toml:4",
            "health_check.url",
        ),
        (
            "health_check.retries",
            "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = \"http://x\"\nretries = \"3\"\n",
            "rewind.toml:5",
            "health_check.retries",
        ),
        (
            "health_check.interval",
            "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = \"http://x\"\ninterval = 10\n",
            "rewind.toml:5",
            "health_check.interval",
        ),
        (
            "health_check.expect_status",
            "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = \"http://x\"\nexpect_status = \"200\"\n",
            "rewind.toml:5",
            "health_check.expect_status",
        ),
        (
            "feature_flags.name",
            "[[apps]]\nname = \"shop\"\n[[apps.feature_flags]]\nname = 1\noff_value = \"0\"\n",
            "rewind.toml:4",
            "feature_flags[0].name",
        ),
        (
            "feature_flags.description",
            "[[apps]]\nname = \"shop\"\n[[apps.feature_flags]]\nname = \"F\"\noff_value = \"0\"\ndescription = []\n",
            "rewind.toml:6",
            "feature_flags[0].description",
        ),
    ];
    for (key, toml, line, path) in wrong_types {
        cases.push(toml_case(
            &format!("wrong type of {key}"),
            toml,
            &[line, path, "expected", DOCS],
        ));
    }
    // The file itself in odd places.
    cases.push(Case::new(
        "config/--config that does not exist",
        &["status", "--config", "nope/rewind.toml"],
        2,
        &["nope/rewind.toml", "--config", "REWIND_CONFIG"],
    ));
    cases.push(Case::new(
        "config/--config that is a folder",
        &["status", "--config", "."],
        2,
        &["a folder, not a file"],
    ));
    cases.push(
        Case::new("config/REWIND_CONFIG empty", &["status"], 2, &["--config"])
            .env("REWIND_CONFIG", ""),
    );
    cases.push(Case::new(
        "config/--config /dev/null",
        &["status", "--config", "/dev/null"],
        2,
        &["/dev/null"],
    ));
    cases
}

/// `rewind tree check` of a file holding `toml`: exit 2, the words.
fn tree_case(name: &str, toml: impl Into<Vec<u8>>, words: &[&str]) -> Case {
    let mut words = words.to_vec();
    words.push("t.toml");
    Case::new(
        &format!("tree/{name}"),
        &["tree", "check", "case/t.toml"],
        2,
        &words,
    )
    .file("case/t.toml", toml)
    .reports_on_stdout()
}

/// A question `id` with answers going to `nexts`.
fn question(id: &str, nexts: &[&str]) -> String {
    let mut text =
        format!("[[question]]\nid = \"{id}\"\ntext = {{ fr = \"Q {id} ?\", en = \"Q {id}?\" }}\n");
    for (i, next) in nexts.iter().enumerate() {
        text.push_str(&format!(
            "[[question.answer]]\nid = \"a{i}\"\nlabel = {{ fr = \"R{i}\", en = \"A{i}\" }}\nnext = \"{next}\"\n"
        ));
    }
    text
}

fn exit(id: &str) -> String {
    format!("[[exit]]\nid = \"{id}\"\ntext = {{ fr = \"Fin\", en = \"End\" }}\n")
}

fn tree() -> Vec<Case> {
    let entry = |id: &str| format!("entry = \"{id}\"\n");
    let mut cases = vec![
        tree_case("empty", "", &["entry"]),
        tree_case("not UTF-8", b"entry = \"q\xff\"\n".to_vec(), &["UTF-8"]),
        tree_case("syntax error", "entry = \n", &["t.toml:1"]),
        tree_case(
            "no entry",
            format!("{}{}", question("q", &["done", "done"]), exit("done")),
            &["entry"],
        ),
        tree_case(
            "entry to nothing",
            format!(
                "{}{}{}",
                entry("nope"),
                question("q", &["done", "done"]),
                exit("done")
            ),
            &["nope"],
        ),
        tree_case(
            "dangling next",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["done", "gone"]),
                exit("done")
            ),
            &["gone"],
        ),
        tree_case(
            "cycle",
            format!(
                "{}{}{}{}",
                entry("q"),
                question("q", &["r", "done"]),
                question("r", &["q", "done"]),
                exit("done")
            ),
            &["cycle"],
        ),
        tree_case(
            "self loop",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["q", "done"]),
                exit("done")
            ),
            &["cycle"],
        ),
        tree_case(
            "duplicate ids",
            format!(
                "{}{}{}{}",
                entry("q"),
                question("q", &["done", "done"]),
                question("q", &["done", "done"]),
                exit("done")
            ),
            &["q", "duplicate"],
        ),
        tree_case(
            "question and exit sharing an id",
            format!("{}{}{}", entry("q"), question("q", &["q", "q"]), exit("q")),
            &["q", "duplicate"],
        ),
        tree_case(
            "unreachable node",
            format!(
                "{}{}{}{}",
                entry("q"),
                question("q", &["done", "done"]),
                question("lost", &["done", "done"]),
                exit("done")
            ),
            &["t.toml:14", "`lost` cannot be reached"],
        ),
        tree_case(
            "question with one answer",
            format!("{}{}{}", entry("q"), question("q", &["done"]), exit("done")),
            &["t.toml:3", "question `q` has 1 answer"],
        ),
        tree_case(
            "question with no answer",
            format!("{}{}{}", entry("q"), question("q", &[]), exit("done")),
            &["q", "answer"],
        ),
        tree_case(
            "missing translation",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["done", "done"]).replace("fr = \"Q q ?\", ", ""),
                exit("done")
            ),
            &["fr"],
        ),
        tree_case(
            "label missing a language",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["done", "done"]).replace("fr = \"R0\", ", ""),
                exit("done")
            ),
            &["fr"],
        ),
        tree_case(
            "unknown action",
            format!(
                "{}[[action]]\nid = \"a\"\ntext = {{ fr = \"x\", en = \"x\" }}\naction = \"rm_rf\"\nnext = \"done\"\n{}",
                entry("a"),
                exit("done")
            ),
            &["rm_rf"],
        ),
        tree_case(
            "unknown probe",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["done", "done"]).replacen(
                    "\n[[question.answer]]",
                    "\nprobe = \"telepathy\"\n[[question.answer]]",
                    1
                ),
                exit("done")
            ),
            &["telepathy"],
        ),
        tree_case(
            "unknown key",
            format!(
                "{}colour = 1\n{}{}",
                entry("q"),
                question("q", &["done", "done"]),
                exit("done")
            ),
            &["colour"],
        ),
        tree_case(
            "wrong type",
            format!(
                "entry = 3\n{}{}",
                question("q", &["done", "done"]),
                exit("done")
            ),
            &["entry"],
        ),
        tree_case(
            "duplicate answers",
            format!(
                "{}{}{}",
                entry("q"),
                question("q", &["done", "done"]).replace("id = \"a1\"", "id = \"a0\""),
                exit("done")
            ),
            &["a0"],
        ),
        tree_case(
            "action without next",
            format!(
                "{}[[action]]\nid = \"a\"\ntext = {{ fr = \"x\", en = \"x\" }}\naction = \"warn_product_owner\"\n{}",
                entry("a"),
                exit("done")
            ),
            &["next"],
        ),
        tree_case(
            "id with an escape",
            format!(
                "{}{}{}",
                entry("q\\u001b[2J"),
                question("q\\u001b[2J", &["done", "done"]),
                exit("done")
            ),
            &["\\u{1b}"],
        ),
        tree_case(
            "deep nesting",
            format!("entry = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            &["t.toml"],
        ),
        tree_case(
            "deep inline tables",
            format!("entry = {}1{}\n", "{a=".repeat(50_000), "}".repeat(50_000)),
            &["t.toml"],
        ),
    ];
    // 10,000 questions in a chain, the last one pointing nowhere.
    let mut big = entry("q0");
    for i in 0..10_000 {
        let next = if i == 9_999 {
            "missing".to_string()
        } else {
            format!("q{}", i + 1)
        };
        big.push_str(&question(&format!("q{i}"), &[&next, "done"]));
    }
    big.push_str(&exit("done"));
    cases.push(tree_case(
        "10,000 nodes and one dangling",
        big,
        &["missing"],
    ));
    // The same faults through rewind.toml's `tree`, read by every command.
    cases.push(
        Case::new(
            "tree/bad tree named by rewind.toml",
            &["guide", "--answer", "mep=ok"],
            2,
            &["t.toml", "tree"],
        )
        .toml(format!("tree = \"case/t.toml\"\n{BASE_TOML}"))
        .file(
            "case/t.toml",
            format!("{}{}", entry("q"), question("q", &["done"])),
        ),
    );
    cases.push(Case::new(
        "tree/missing file",
        &["tree", "check", "case/none.toml"],
        2,
        &["case/none.toml"],
    ));
    cases.push(Case::new(
        "tree/a folder",
        &["tree", "check", "."],
        2,
        &["Is a directory", "check the path"],
    ));
    cases
}

fn cli() -> Vec<Case> {
    let long = "9".repeat(10_000);
    let mut cases = Vec::new();
    // Versions handed to `rollback --to`.
    for (name, version) in [
        ("double dot", "v1..2"),
        ("four parts", "1.2.3.4"),
        ("a path", "../../etc"),
        ("empty", ""),
        ("10 kB", long.as_str()),
        ("full-width v", "ｖ1.2.3"),
        ("an option", "-rf"),
        ("a glob", "v1.*"),
        ("shell", "$(touch pwned)"),
        ("escape", "v1.0.0\u{1b}[2J"),
        ("not released", "9.9.9"),
        ("leading zero", "01.0.0"),
    ] {
        cases.push(Case::new(
            &format!("cli/rollback --to {name}"),
            &["rollback", "--dry-run", &format!("--to={version}")],
            2,
            &["--to"],
        ));
    }
    let words_app = ["nope", "rewind.toml"];
    for (name, args) in [
        ("status", vec!["status", "nope"]),
        ("status --json", vec!["status", "nope", "--json"]),
        ("rollback", vec!["rollback", "nope", "--dry-run"]),
        ("db status", vec!["db", "status", "nope"]),
        ("db backup", vec!["db", "backup", "nope"]),
        (
            "db restore",
            vec!["db", "restore", "nope", "--before-deploy", "--yes"],
        ),
        ("guide", vec!["guide", "nope", "--answer", "mep=ok"]),
        ("hold", vec!["hold", "nope"]),
        ("unhold", vec!["unhold", "nope"]),
    ] {
        cases.push(Case::new(
            &format!("cli/unknown app {name}"),
            &args,
            2,
            &words_app,
        ));
    }
    cases.push(Case::new(
        "cli/app with an escape",
        &["status", "sh\u{1b}]0;x\u{7}op"],
        2,
        &["\\u{1b}"],
    ));
    cases.push(Case::new(
        "cli/app of 10 kB",
        &["status", &"a".repeat(10_000)],
        2,
        &["rewind.toml"],
    ));
    for (name, args, words) in [
        (
            "with-db and no-db",
            vec!["rollback", "--with-db", "--no-db"],
            vec!["--no-db"],
        ),
        (
            "to and before-deploy",
            vec![
                "db",
                "restore",
                "--to",
                "2026-01-01T00:00:00Z",
                "--before-deploy",
            ],
            vec!["--before-deploy"],
        ),
        (
            "backup and file",
            vec!["db", "restore", "--from-backup", "x", "--from-file", "y"],
            vec!["--from-file"],
        ),
        (
            "json and quiet report",
            vec!["report", "--json", "--json", "x"],
            vec!["--json"],
        ),
        (
            "restore-ran maybe",
            vec!["rollback", "--restore-ran", "maybe"],
            vec!["--restore-ran"],
        ),
        (
            "lang klingon",
            vec!["guide", "--lang", "tlh"],
            vec!["--lang"],
        ),
        (
            "method unknown",
            vec!["rollback", "--dry-run", "--method", "teleport"],
            vec!["teleport"],
        ),
        (
            "color unknown",
            vec!["status", "--color", "plaid"],
            vec!["--color"],
        ),
    ] {
        cases.push(Case::new(&format!("cli/conflict {name}"), &args, 2, &words));
    }
    // Incident ids and prefixes.
    let three = [
        "20260102-030405-aaaa",
        "20260102-030405-aabb",
        "20260103-030405-cccc",
    ];
    let journal: String = three.iter().map(|id| opened(id) + &closed(id)).collect();
    for (name, args, words) in [
        (
            "report unknown",
            vec!["report", "zzzz"],
            vec!["zzzz", "rewind journal"],
        ),
        ("report empty", vec!["report", ""], vec!["rewind journal"]),
        (
            "report ambiguous",
            vec!["report", "2026"],
            vec!["ambiguous", "20260102-030405-aaaa", "20260103-030405-cccc"],
        ),
        (
            "report ambiguous deeper",
            vec!["report", "20260102-030405-aa"],
            vec!["ambiguous", "aabb"],
        ),
        (
            "resume unknown",
            vec!["resume", "zzzz"],
            vec!["zzzz", "rewind journal"],
        ),
        (
            "resume ambiguous",
            vec!["resume", "2026"],
            vec!["ambiguous"],
        ),
        ("resume empty", vec!["resume", ""], vec!["rewind journal"]),
        (
            "report an escape",
            vec!["report", "\u{1b}[2J"],
            vec!["\\u{1b}"],
        ),
        (
            "report a path",
            vec!["report", "../../etc/passwd"],
            vec!["rewind journal"],
        ),
    ] {
        cases.push(Case::new(&format!("cli/{name}"), &args, 2, &words).journal(journal.clone()));
    }
    // Answers and times.
    for (name, args, words) in [
        (
            "answer without =",
            vec!["guide", "--answer", "mep"],
            vec!["`mep`", "question=answer", "rewind tree show"],
        ),
        (
            "answer unknown question",
            vec!["guide", "--answer", "zz=ok"],
            vec!["zz"],
        ),
        (
            "answer unknown choice",
            vec!["guide", "--answer", "mep=maybe"],
            vec!["maybe"],
        ),
        (
            "answers file missing",
            vec!["guide", "--answers", "case/none.toml"],
            vec!["none.toml"],
        ),
        (
            "time not a time",
            vec!["db", "restore", "--to", "yesterday-ish", "--yes"],
            vec!["`yesterday-ish` is not a time", "RFC 3339"],
        ),
        (
            "time impossible",
            vec!["db", "restore", "--to", "2026-13-45T99:00:00Z", "--yes"],
            vec!["`2026-13-45T99:00:00Z` is not a time", "RFC 3339"],
        ),
        (
            "time in the future",
            vec!["db", "restore", "--to", "2999-01-01T00:00:00Z", "--yes"],
            vec!["outside the database's recovery window", "rewind db status"],
        ),
        (
            "time of 10 kB",
            vec!["db", "restore", "--to", long.as_str(), "--yes"],
            vec!["is not a time", "RFC 3339"],
        ),
        (
            "deployment unknown",
            vec!["db", "restore", "--before-deploy", "nope", "--yes"],
            vec!["`nope` was not found", "rewind status shop"],
        ),
        (
            "backup unknown",
            vec![
                "db",
                "restore",
                "--from-backup",
                "nope",
                "--database-url",
                "postgres://u:p@127.0.0.1:9/db",
                "--yes",
            ],
            vec!["backup `nope` was not found", "rewind db status shop"],
        ),
        (
            "backup without a database",
            vec!["db", "restore", "--from-backup", "nope", "--yes"],
            vec!["--database-url", "REWIND_DATABASE_URL"],
        ),
        (
            "dump file missing",
            vec![
                "db",
                "restore",
                "--from-file",
                "case/none.dump",
                "--database-url",
                "postgres://u:p@127.0.0.1:9/db",
                "--yes",
            ],
            vec!["none.dump", "--from-file"],
        ),
        (
            "download into a file",
            vec!["db", "backup", "--download", "package.json"],
            vec!["package.json", "--download"],
        ),
        (
            "download into /proc",
            vec!["db", "backup", "--download", "/proc/rewind-nope"],
            vec!["/proc/rewind-nope", "--download"],
        ),
        (
            "ticket dir in /proc",
            vec![
                "guide",
                "--answer",
                "mep=problem",
                "--answer",
                "q1=no",
                "--answer",
                "q2=no",
                "--answer",
                "q4=yes",
                "--yes",
                "--ticket-dir",
                "/proc/nope",
            ],
            vec!["/proc/nope", "--ticket-dir"],
        ),
        (
            "database url not a url",
            vec![
                "db",
                "restore",
                "--from-backup",
                "x",
                "--database-url",
                "nope",
                "--yes",
            ],
            vec!["database URL is not usable", "postgres://"],
        ),
        ("unknown command", vec!["undo"], vec!["undo"]),
        (
            "unknown flag",
            vec!["status", "--force-push"],
            vec!["--force-push"],
        ),
    ] {
        cases.push(Case::new(&format!("cli/{name}"), &args, 2, &words));
    }
    cases
}

/// Makes `tag` point at `what` (an object name) in the repository and on
/// its remote.
fn tag_at(w: &World, tag: &str, what: &str) {
    let object = git(&w.work(), &["rev-parse", what]);
    let name = format!("refs/tags/{tag}");
    git(&w.work(), &["update-ref", &name, &object]);
    git(
        &w.work(),
        &["push", "--quiet", "origin", &format!("{name}:{name}")],
    );
}

fn untag(w: &World, tag: &str) {
    let _ = rewind_test_support::git_command(&w.work())
        .args(["update-ref", "-d", &format!("refs/tags/{tag}")])
        .output();
    let _ = rewind_test_support::git_command(&w.work())
        .args(["push", "--quiet", "origin", &format!(":refs/tags/{tag}")])
        .output();
}

fn refs() -> Vec<Case> {
    let dry = |name: &str, args: &[&str], code: i32, words: &[&str]| {
        Case::new(&format!("refs/{name}"), args, code, words)
    };
    vec![
        dry(
            "tag at a tree",
            &["rollback", "--dry-run", "--to", "1.2.0"],
            2,
            &[
                "`v1.2.0` names a tree, not a commit",
                "git cat-file -p v1.2.0",
            ],
        )
        .setup(|w| tag_at(w, "v1.2.0", "v1.0.0^{tree}"))
        .undo(|w| untag(w, "v1.2.0")),
        dry(
            "tag at a blob",
            &["rollback", "--dry-run", "--to", "v1.2.0"],
            2,
            &["`v1.2.0` names a blob, not a commit"],
        )
        .setup(|w| tag_at(w, "v1.2.0", "v1.0.0:package.json"))
        .undo(|w| untag(w, "v1.2.0")),
        dry(
            "annotated tag of a tag",
            &["rollback", "--dry-run", "--to", "1.2.0"],
            0,
            &["v1.2.0"],
        )
        .setup(|w| {
            git(
                &w.work(),
                &["tag", "-a", "-m", "inner", "inner-1.0.0", "v1.0.0"],
            );
            git(
                &w.work(),
                &["tag", "-a", "-m", "outer", "v1.2.0", "inner-1.0.0"],
            );
            git(&w.work(), &["push", "--quiet", "origin", "--tags"]);
        })
        .undo(|w| {
            untag(w, "v1.2.0");
            untag(w, "inner-1.0.0");
        }),
        dry("tag with shell characters", &["status"], 0, &[])
            .setup(|w| tag_at(w, "v1.0.0$(touch${IFS}pwned);`id`", "v1.0.0"))
            .undo(|w| untag(w, "v1.0.0$(touch${IFS}pwned);`id`")),
        dry(
            "tag with shell characters as target",
            &["rollback", "--dry-run", "--to", "1.0.0;id"],
            2,
            &["`1.0.0;id`", "--to"],
        )
        .setup(|w| tag_at(w, "v1.0.0;id", "v1.0.0"))
        .undo(|w| untag(w, "v1.0.0;id")),
        dry("tag that is an option", &["rollback", "--dry-run"], 0, &[])
            .setup(|w| tag_at(w, "-v1.0.0", "v1.0.0"))
            .undo(|w| untag(w, "-v1.0.0")),
        dry(
            "release branch elsewhere locally",
            &["rollback", "--yes", "--no-db"],
            3,
            &[
                "branch `release/v1.0.0` already exists",
                "git branch -D release/v1.0.0",
            ],
        )
        .setup(|w| {
            git(&w.work(), &["branch", "release/v1.0.0", "v1.1.0"]);
        })
        .undo(|w| {
            git(&w.work(), &["branch", "-D", "release/v1.0.0"]);
        }),
        dry(
            "release branch elsewhere on the remote",
            &["rollback", "--yes", "--no-db"],
            3,
            &[
                "branch `release/v1.0.0` on `origin` is at",
                "git push origin --delete release/v1.0.0",
            ],
        )
        .setup(|w| {
            git(
                &w.work(),
                &[
                    "push",
                    "--quiet",
                    "origin",
                    "v1.1.0^{commit}:refs/heads/release/v1.0.0",
                ],
            );
        })
        .undo(|w| {
            git(
                &w.work(),
                &["push", "--quiet", "origin", ":refs/heads/release/v1.0.0"],
            );
        }),
        dry(
            "no remote",
            &["rollback", "--dry-run"],
            1,
            &["elsewhere", "remote"],
        )
        .toml(BASE_TOML.replace(
            "package = \"shop\"",
            "package = \"shop\"\nremote = \"elsewhere\"",
        )),
    ]
}

/// A deployments page of the sandbox's shape, with `deployment` as its
/// only item.
fn one_deployment(deployment: serde_json::Value) -> serde_json::Value {
    json!({"deployments": [deployment], "meta": {"pagination": {"current_page": 1, "next_page": null, "total_pages": 1}}})
}

fn api() -> Vec<Case> {
    let deployments = "/v1/apps/shop/deployments";
    let get = |path: &str, effect: serde_json::Value| {
        let mut rule = json!({"method": "GET", "path": path, "times": 50});
        rule.as_object_mut()
            .expect("object")
            .extend(effect.as_object().expect("object").clone());
        rule
    };
    let status = |name: &str, code: i32, words: &[&str], rule: serde_json::Value| {
        Case::new(&format!("api/{name}"), &["status"], code, words).fault(rule)
    };
    let dep = |extra: serde_json::Value| {
        let mut d = json!({"id": "d-1", "app_id": "a", "created_at": "2026-01-01T00:00:00.000Z", "status": "success", "git_ref": "v1.0.0", "links": {}});
        d.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        d
    };
    let db = "/api/databases/*";
    vec![
        status(
            "truncated JSON",
            1,
            &["could not be read", "/v1/apps/shop/deployments"],
            get(deployments, json!({"malformed_body": true})),
        ),
        status(
            "deployments a string",
            1,
            &["deployments"],
            get(deployments, json!({"body": {"deployments": "many"}})),
        ),
        status(
            "deployments null",
            1,
            &["deployments"],
            get(deployments, json!({"body": {"deployments": null}})),
        ),
        status(
            "empty object",
            1,
            &["deployments"],
            get(deployments, json!({"body": {}})),
        ),
        status(
            "an array",
            1,
            &["deployments"],
            get(deployments, json!({"body": [1, 2]})),
        ),
        status(
            "id a number",
            0,
            &["deployment 7"],
            get(
                deployments,
                json!({"body": one_deployment(dep(json!({"id": 7})))}),
            ),
        ),
        status(
            "no git_ref",
            0,
            &[],
            get(
                deployments,
                json!({"body": one_deployment(dep(json!({"git_ref": null})))}),
            ),
        ),
        status(
            "date in another format",
            0,
            &["d-1"],
            get(
                deployments,
                json!({"body": one_deployment(dep(json!({"created_at": "01/02/2026 10:00"})))}),
            ),
        ),
        status(
            "date as a number",
            0,
            &["d-1"],
            get(
                deployments,
                json!({"body": one_deployment(dep(json!({"created_at": 1767225600})))}),
            ),
        ),
        status(
            "status unknown",
            0,
            &[],
            get(
                deployments,
                json!({"body": one_deployment(dep(json!({"status": "\u{1b}[2Jweird"})))}),
            ),
        ),
        status(
            "pagination that loops",
            0,
            &[],
            get(
                deployments,
                json!({"body": {"deployments": [dep(json!({}))], "meta": {"pagination": {"current_page": 1, "next_page": 1, "total_pages": 2}}}}),
            ),
        ),
        status(
            "pagination without end",
            0,
            &[],
            get(
                deployments,
                json!({"body": {"deployments": [dep(json!({}))], "meta": {"pagination": {"total_pages": 4294967295u32}}}}),
            ),
        ),
        status(
            "huge body",
            1,
            &[
                "larger than 32 MB",
                "/v1/apps/shop/deployments",
                "_sandbox/faults",
            ],
            get(deployments, json!({"huge_body": true})),
        ),
        status(
            "app a string",
            1,
            &["app"],
            get("/v1/apps/shop", json!({"body": {"app": "shop"}})),
        ),
        status(
            "app huge",
            1,
            &["larger than 32 MB", "/v1/apps/shop"],
            get("/v1/apps/shop", json!({"huge_body": true})),
        ),
        status(
            "token exchange truncated",
            1,
            &["token"],
            json!({"method": "POST", "path": "/v1/tokens/exchange", "malformed_body": true, "times": 10}),
        ),
        status(
            "token exchange wrong type",
            1,
            &["token"],
            json!({"method": "POST", "path": "/v1/tokens/exchange", "body": {"token": 42}, "times": 10}),
        ),
        status(
            "token exchange huge",
            1,
            &["larger than 32 MB", "/v1/tokens/exchange"],
            json!({"method": "POST", "path": "/v1/tokens/exchange", "huge_body": true, "times": 10}),
        ),
        status(
            "token refused",
            2,
            &["SCALINGO_API_TOKEN"],
            json!({"method": "POST", "path": "/v1/tokens/exchange", "status": 401, "times": 10}),
        ),
        status(
            "addons wrong type",
            0,
            &["could not read the database", "addons"],
            get(
                "/v1/apps/shop/addons",
                json!({"body": {"addons": {"id": 1}}}),
            ),
        ),
        status(
            "database truncated",
            0,
            &["the answer could not be read"],
            get(db, json!({"malformed_body": true})),
        ),
        Case::new(
            "api/db status database wrong type",
            &["db", "status"],
            1,
            &["database"],
        )
        .fault(get(db, json!({"body": {"database": []}}))),
        Case::new(
            "api/db status backups looping",
            &["db", "status"],
            1,
            &["backups"],
        )
        .fault(get(
            "/api/databases/*/backups",
            json!({"body": {"database_backups": "x"}}),
        )),
        Case::new("api/journal needs no platform", &["journal"], 0, &[])
            .fault(json!({"path": "/v1/tokens/exchange", "status": 500, "times": 10})),
        Case::new(
            "api/bad token",
            &["status"],
            2,
            &["refused the API token", "SCALINGO_API_TOKEN"],
        )
        .env("SCALINGO_API_TOKEN", "tk-us-not-a-token"),
        Case::new(
            "api/token with a newline",
            &["status"],
            2,
            &["SCALINGO_API_TOKEN"],
        )
        .env("SCALINGO_API_TOKEN", "tk-us\nX-Injected: 1"),
        Case::new("api/token empty", &["status"], 2, &["SCALINGO_API_TOKEN"])
            .env("SCALINGO_API_TOKEN", ""),
        Case::new(
            "api/api url not a url",
            &["status"],
            2,
            &["SCALINGO_API_URL", "not an http or https URL"],
        )
        .env("SCALINGO_API_URL", "not a url"),
        Case::new("api/auth url to nowhere", &["status"], 1, &["127.0.0.1:9"])
            .env("SCALINGO_AUTH_URL", "http://127.0.0.1:9"),
    ]
}

fn journal() -> Vec<Case> {
    let id = "20260102-030405-abcd";
    let whole = opened(id) + &closed(id);
    let truncated = format!("{}{}", opened(id), &closed(id)[..40]);
    let unknown_kind = opened(id) + &closed(id).replace("incident_closed", "incident_exploded");
    vec![
        Case::new(
            "journal/truncated last line",
            &["journal"],
            0,
            &["journal.jsonl", "cut short"],
        )
        .journal(truncated.clone()),
        Case::new(
            "journal/truncated last line, report",
            &["report", id],
            0,
            &["cut short"],
        )
        .journal(truncated),
        Case::new(
            "journal/a line that is not JSON",
            &["journal"],
            0,
            &["journal.jsonl:1", "line skipped"],
        )
        .journal(format!("rm -rf /\n{whole}")),
        Case::new(
            "journal/binary garbage",
            &["journal"],
            0,
            &["journal.jsonl:1", "line skipped"],
        )
        .journal(
            [
                b"\xff\xfe\x00\x1b[2J\n".to_vec(),
                whole.clone().into_bytes(),
            ]
            .concat(),
        ),
        Case::new(
            "journal/unknown kind",
            &["journal"],
            0,
            &["journal.jsonl:2", "incident_exploded"],
        )
        .journal(unknown_kind),
        Case::new(
            "journal/wrong types",
            &["journal"],
            0,
            &["journal.jsonl:1", "line skipped"],
        )
        .journal(format!(
            "{{\"at\":5,\"incident\":[],\"kind\":\"note\",\"app\":{{}}}}\n{whole}"
        )),
        Case::new("journal/two incidents, one id", &["report", id], 0, &[])
            .journal(format!("{whole}{whole}")),
        Case::new(
            "journal/two incidents, one id, resumed",
            &["resume", id, "--yes"],
            3,
            &[id, "nothing to resume"],
        )
        .journal(format!("{whole}{whole}")),
        Case::new(
            "journal/dir is a file",
            &["rollback", "--yes"],
            1,
            &["journal-file", "REWIND_JOURNAL_DIR"],
        )
        .setup(|w| {
            let path = w.dir.path().join("journal-file");
            std::fs::write(&path, "").expect("file");
        })
        .env("REWIND_JOURNAL_DIR", "../journal-file"),
        Case::new(
            "journal/dir under a file",
            &["hold", "--reason", "tests"],
            1,
            &["/dev/null/journal", "REWIND_JOURNAL_DIR"],
        )
        .env("REWIND_JOURNAL_DIR", "/dev/null/journal"),
        Case::new(
            "journal/file is a folder",
            &["db", "backup"],
            1,
            &["journal.jsonl", "REWIND_JOURNAL_DIR"],
        )
        .setup(|w| {
            std::fs::create_dir_all(w.dir.path().join("journal/journal.jsonl")).expect("mkdir")
        }),
    ]
}

fn seed() -> Vec<Case> {
    let seed = |name: &str, content: &[u8], words: &[&str]| {
        let mut words = words.to_vec();
        words.push("seed.toml");
        Case::new(
            &format!("seed/{name}"),
            &[
                "sandbox",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "case/seed.toml",
            ],
            2,
            &words,
        )
        .file("case/seed.toml", content.to_vec())
    };
    vec![
        seed("empty name", b"[[apps]]\nname = \"\"\n", &["name"]),
        seed("app name climbing", b"[[apps]]\nname = \"../../../tmp/x\"\n", &["name", "invalid"]),
        seed("not UTF-8", b"[[apps]]\nname = \"\xff\"\n", &["UTF-8"]),
        seed("apps a number", b"apps = 3\n", &["apps"]),
        seed("repo relative escape", b"[[apps]]\nname = \"shop\"\nrepo = \"\x1b[2J\"\n", &["repo"]),
        seed("plan with a slash", b"[[apps]]\nname = \"shop\"\n[[apps.addons]]\nprovider = \"scalingo-postgresql\"\nplan = \"../x\"\n", &["plan"]),
        seed("token a number", b"[[tokens]]\ntoken = 5\n", &["token"]),
        seed("lifetime past a year", b"[sandbox]\naddon_token_lifetime_secs = 99999999999\n", &["addon_token_lifetime_secs"]),
        seed("unknown section", b"[database]\nurl = \"x\"\n", &["database"]),
        Case::new("seed/missing file", &["sandbox", "serve", "--listen", "127.0.0.1:0", "--seed", "case/none.toml"], 2, &["none.toml"]),
    ]
}
